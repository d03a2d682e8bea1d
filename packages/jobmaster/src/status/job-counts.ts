import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { JOB_STATUSES, type JobStatus } from './job-status.js';
import { filterCondition, filterValues, type StatusFilters } from './status-filters.js';

/** How many jobs are in each status. */
export type StatusCounts = Record<JobStatus, number> & { total: number };

/** One task's jobs by status. */
export interface TaskJobCounts extends StatusCounts {
  /** `type_key.task_key` */
  task: string;
  typeKey: string;
  taskKey: string;
}

/** An all-zero count. */
export function emptyCounts(): StatusCounts {
  return { waiting: 0, running: 0, complete: 0, failed: 0, cancelled: 0, total: 0 };
}

/**
 * Counts jobs by task and status, tasks in name order. Only tasks that have matching jobs
 * are listed.
 */
export async function countJobsByTask(db: Queryable, schema: string, filters: StatusFilters = {}): Promise<TaskJobCounts[]> {
  const { rows } = await db.query<{ type_key: string; task_key: string; status: JobStatus; n: string }>(
    `select j.type_key, j.task_key, j.status, count(*) as n
       from ${quoteSchema(schema)}.jobs j
      where ${filterCondition()}
      group by j.type_key, j.task_key, j.status
      order by j.type_key, j.task_key`,
    filterValues(filters),
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
