import type { Queryable } from '../db/queryable.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { quoteSchema } from '../db/schema-name.js';
import { UnknownTaskError } from '../errors.js';
import { listSchedules, type ScheduleInfo } from '../schedule/schedule-store.js';
import { countJobsByTask, totalCounts, type StatusCounts, type TaskJobCounts } from './job-counts.js';
import { listNodeUnits, type NodeUnits } from './node-units.js';
import { listRecentFailures, type FailedJob } from './recent-failures.js';
import { listRunningJobs, type RunningJob } from './running-jobs.js';
import { filterValues, type StatusFilters } from './status-filters.js';

/** Everything `jm status` shows, as one plain value. */
export interface QueueStatus {
  schema: string;
  /** The database's clock when the figures were read. */
  at: Date;
  filters: { task: string | null; status: string | null; since: Date | null };
  /** Jobs by task and status. */
  tasks: TaskJobCounts[];
  /** The sum over `tasks`. */
  totals: StatusCounts;
  /** Jobs running now (at most `runningLimit`; `totals.running` has them all). Empty when filtered to another status. */
  running: RunningJob[];
  /** Process units in use per node against its budget. */
  nodes: NodeUnits[];
  /** The most recent failures. Empty when filtered to another status. */
  recentFailures: FailedJob[];
  /** Cron schedules (of the filtered task, if any) with their last and next ticks. */
  schedules: ScheduleInfo[];
}

/** Limits for `getQueueStatus`. */
export interface QueueStatusOptions extends StatusFilters {
  /** At most this many running jobs listed. (Default: 100) */
  runningLimit?: number;
  /** At most this many recent failures listed. (Default: 10) */
  failureLimit?: number;
}

/**
 * Reads the queue's state: counts by task and status, running jobs, units per node, recent
 * failures. A task filter naming a task that is neither registered nor has jobs is an
 * `UnknownTaskError`.
 */
export async function getQueueStatus(db: Queryable, schema: string, options: QueueStatusOptions = {}): Promise<QueueStatus> {
  const filters: StatusFilters = {
    ...(options.task && { task: options.task }),
    ...(options.status && { status: options.status }),
    ...(options.since && { since: options.since }),
  };
  filterValues(filters); // validates before any query
  try {
    if (filters.task) await requireKnownTask(db, schema, filters.task);
    const { at } = (await db.query<{ at: Date }>('select now() as at')).rows[0]!;
    const wants = (status: string): boolean => filters.status === undefined || filters.status === status;
    const [tasks, running, nodes, recentFailures, schedules] = await Promise.all([
      countJobsByTask(db, schema, filters),
      wants('running') ? listRunningJobs(db, schema, filters, options.runningLimit ?? 100) : [],
      listNodeUnits(db, schema),
      wants('failed') ? listRecentFailures(db, schema, filters, options.failureLimit ?? 10) : [],
      listSchedules(db, schema),
    ]);
    const taskName = filters.task ? `${filters.task.typeKey}.${filters.task.taskKey}` : null;
    return {
      schema,
      at,
      filters: {
        task: filters.task ? `${filters.task.typeKey}.${filters.task.taskKey}` : null,
        status: filters.status ?? null,
        since: filters.since ?? null,
      },
      tasks,
      totals: totalCounts(tasks),
      running,
      nodes,
      recentFailures,
      schedules: taskName === null ? schedules : schedules.filter((sc) => sc.task === taskName),
    };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}

/**
 * Fails with `UnknownTaskError` unless the task is registered or still has jobs (a task no
 * longer registered is known while it has jobs). The filters of `jm status`, `jm retry` and
 * `jm prune` name tasks through this. Waiting, running and finished jobs are each looked for
 * through their own index, not by reading the whole table.
 */
export async function requireKnownTask(db: Queryable, schema: string, task: { typeKey: string; taskKey: string }): Promise<void> {
  const s = quoteSchema(schema);
  let known: boolean;
  try {
    const { rows } = await db.query<{ known: boolean }>(
      `select exists (select 1 from ${s}.tasks t where t.type_key = $1 and t.task_key = $2)
            or exists (select 1 from ${s}.jobs j where j.type_key = $1 and j.task_key = $2 and j.status = 'waiting')
            or exists (select 1 from ${s}.jobs j where j.type_key = $1 and j.task_key = $2 and j.status = 'running')
            or exists (select 1 from ${s}.jobs j
                        where j.type_key = $1 and j.task_key = $2 and j.finished_at is not null) as known`,
      [task.typeKey, task.taskKey],
    );
    known = rows[0]!.known;
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
  if (!known) throw new UnknownTaskError(task.typeKey, task.taskKey);
}
