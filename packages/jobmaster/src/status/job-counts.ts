import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { JOB_STATUSES, type JobStatus } from './job-status.js';
import { filterValues, type StatusFilters } from './status-filters.js';

/** How many jobs are in each status. */
export type StatusCounts = Record<JobStatus, number> & { total: number };

/** One task's jobs by status. */
export interface TaskJobCounts extends StatusCounts {
  /** `type_key.task_key` */
  task: string;
  typeKey: string;
  taskKey: string;
}

const FINISHED: JobStatus[] = ['complete', 'failed', 'cancelled'];

/** An all-zero count. */
export function emptyCounts(): StatusCounts {
  return { waiting: 0, running: 0, complete: 0, failed: 0, cancelled: 0, total: 0 };
}

/**
 * Counts jobs by task and status, tasks in name order. Only tasks that have matching jobs
 * are listed.
 *
 * Each status is counted through its own index, so the cost follows what is counted, not
 * the size of the table: waiting jobs through the waiting-by-task index, running ones
 * through the lease index, and, with `since`, finished ones through `jobs_finished`, one
 * range per task (the tasks with finished jobs found by skipping through that index, one
 * descent per task). Without `since` every finished job kept is counted: that reads the
 * whole history.
 */
export async function countJobsByTask(db: Queryable, schema: string, filters: StatusFilters = {}): Promise<TaskJobCounts[]> {
  const [typeKey, taskKey, status, since] = filterValues(filters);
  const s = quoteSchema(schema);
  const values: unknown[] = [];
  const bind = (value: unknown, type: string): string => `$${values.push(value)}::${type}`;
  const ofTask = typeKey === null ? '' : `and j.type_key = ${bind(typeKey, 'text')} and j.task_key = ${bind(taskKey, 'text')}`;
  const wants = (name: JobStatus): boolean => status === null || status === name;
  const finished = FINISHED.filter(wants);
  const parts: string[] = [];
  if (wants('waiting')) {
    parts.push(`select j.type_key, j.task_key, 'waiting' as status, count(*) as n
                  from ${s}.jobs j where j.status = 'waiting' ${ofTask} group by j.type_key, j.task_key`);
  }
  if (wants('running')) {
    parts.push(`select j.type_key, j.task_key, 'running' as status, count(*) as n
                  from ${s}.jobs j where j.status = 'running' ${ofTask} group by j.type_key, j.task_key`);
  }
  let head = '';
  if (finished.length > 0) {
    const statuses = bind(finished, 'text[]');
    const window = since === null ? '' : `and j.finished_at >= ${bind(since, 'timestamptz')}`;
    if (since === null || typeKey !== null) {
      parts.push(`select j.type_key, j.task_key, j.status, count(*) as n
                    from ${s}.jobs j where j.status = any (${statuses}) ${ofTask} ${window}
                   group by j.type_key, j.task_key, j.status`);
    } else {
      head = `with recursive finished_tasks (type_key, task_key) as (
                (select j.type_key, j.task_key from ${s}.jobs j where j.finished_at is not null
                  order by j.type_key, j.task_key limit 1)
                union all
                select n.type_key, n.task_key
                  from finished_tasks t
                 cross join lateral (select j.type_key, j.task_key from ${s}.jobs j
                                      where j.finished_at is not null and (j.type_key, j.task_key) > (t.type_key, t.task_key)
                                      order by j.type_key, j.task_key limit 1) n
              )`;
      parts.push(`select t.type_key, t.task_key, f.status, f.n
                    from finished_tasks t
                   cross join lateral (select j.status, count(*) as n from ${s}.jobs j
                                        where j.type_key = t.type_key and j.task_key = t.task_key
                                          and j.status = any (${statuses}) ${window}
                                        group by j.status) f`);
    }
  }
  const { rows } = await db.query<{ type_key: string; task_key: string; status: JobStatus; n: string }>(
    `${head} select c.type_key, c.task_key, c.status, c.n from (${parts.join(' union all ')}) c order by c.type_key, c.task_key`,
    values,
  );
  const byTask = new Map<string, TaskJobCounts>();
  for (const row of rows) {
    const name = `${row.type_key}.${row.task_key}`;
    let counts = byTask.get(name);
    if (!counts) {
      counts = { task: name, typeKey: row.type_key, taskKey: row.task_key, ...emptyCounts() };
      byTask.set(name, counts);
    }
    counts[row.status] += Number(row.n);
    counts.total += Number(row.n);
  }
  return [...byTask.values()];
}

/** Adds up per-task counts. */
export function totalCounts(tasks: readonly StatusCounts[]): StatusCounts {
  const total = emptyCounts();
  for (const counts of tasks) {
    for (const status of JOB_STATUSES) total[status] += counts[status];
    total.total += counts.total;
  }
  return total;
}
