import { getAlertStatus, type AlertStatus } from '../alerts/alert-status.js';
import type { Queryable } from '../db/queryable.js';
import { countWorkflowRuns, type WorkflowRunCounts } from '../workflow/workflow-runs.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { countJobsByTask, totalCounts, type StatusCounts, type TaskJobCounts } from '../jobs/count-jobs-by-task.js';
import { listNodeUnits, type NodeUnits } from '../jobs/list-node-units.js';
import { listRecentFailures, type FailedJob } from '../jobs/list-recent-failures.js';
import { listRunningJobs, type RunningJob } from '../jobs/list-running-jobs.js';
import { requireKnownTask } from '../jobs/require-known-task.js';
import { filterValues, type StatusFilters } from '../jobs/status-filters.js';
import { listSchedules, type ScheduleInfo } from '../schedule/schedule-store.js';

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
  /** Workflow runs by workflow and status. */
  workflowRuns: WorkflowRunCounts[];
  /** Failure alerts not yet delivered (all tasks, whatever the filters), and who delivers them. */
  alerts: AlertStatus;
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
    const [tasks, running, nodes, recentFailures, schedules, workflowRuns, alerts] = await Promise.all([
      countJobsByTask(db, schema, filters),
      wants('running') ? listRunningJobs(db, schema, filters, options.runningLimit ?? 100) : [],
      listNodeUnits(db, schema),
      wants('failed') ? listRecentFailures(db, schema, filters, options.failureLimit ?? 10) : [],
      listSchedules(db, schema),
      countWorkflowRuns(db, schema),
      getAlertStatus(db, schema),
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
      workflowRuns,
      alerts,
    };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
