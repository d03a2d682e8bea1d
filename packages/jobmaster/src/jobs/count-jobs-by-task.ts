import type { Expression, QueryCreator } from 'kysely';
import type { Queryable } from '../db/queryable.js';
import { queryTools, type JobMasterTables, type QueryTools } from './query-builder.js';
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

type CountRow = { type_key: string; task_key: string; status: JobStatus; n: string };
type Tasks = JobMasterTables & { finished_tasks: { type_key: string; task_key: string } };

/** Every task with finished jobs, found by skipping through `jobs_finished`: one index descent per task. */
function withFinishedTasks(q: QueryCreator<Tasks>, sql: QueryTools['sql']): QueryCreator<Tasks> {
  const nextTask = (after: 't' | null) =>
    q
      .selectFrom('jobs as j')
      .select(['j.type_key', 'j.task_key'])
      .where('j.finished_at', 'is not', null)
      .$if(after !== null, (qb) => qb.where(sql<boolean>`(j.type_key, j.task_key) > (t.type_key, t.task_key)`))
      .orderBy('j.type_key')
      .orderBy('j.task_key')
      .limit(1);
  return q.withRecursive('finished_tasks(type_key, task_key)', (cte) =>
    cte
      .selectFrom(nextTask(null).as('first'))
      .select(['first.type_key', 'first.task_key'])
      .unionAll(cte.selectFrom('finished_tasks as t').crossJoinLateral(nextTask('t').as('n')).select(['n.type_key', 'n.task_key'])),
  ) as unknown as QueryCreator<Tasks>;
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
  const { inSchema, sql, run } = await queryTools();
  // One creator, typed with the recursive CTE's table; the WITH clause itself is added to the
  // outer query only, when the finished jobs are counted task by task.
  const q = inSchema(schema) as unknown as QueryCreator<Tasks>;
  const wants = (name: JobStatus): boolean => status === null || status === name;
  const finished = FINISHED.filter(wants);
  const count = sql<string>`count(*)`.as('n');
  const parts: Array<Expression<CountRow>> = [];
  for (const name of ['waiting', 'running'] as const) {
    if (!wants(name)) continue;
    parts.push(
      q
        .selectFrom('jobs as j')
        .select(['j.type_key', 'j.task_key', sql.lit(name).$castTo<JobStatus>().as('status'), count])
        .where('j.status', '=', sql.lit(name))
        .$if(typeKey !== null, (qb) => qb.where('j.type_key', '=', typeKey!).where('j.task_key', '=', taskKey!))
        .groupBy(['j.type_key', 'j.task_key']),
    );
  }
  const byTaskRange = finished.length > 0 && since !== null && typeKey === null;
  if (finished.length > 0 && !byTaskRange) {
    parts.push(
      q
        .selectFrom('jobs as j')
        .select(['j.type_key', 'j.task_key', 'j.status', count])
        .where('j.status', 'in', finished)
        .$if(typeKey !== null, (qb) => qb.where('j.type_key', '=', typeKey!).where('j.task_key', '=', taskKey!))
        .$if(since !== null, (qb) => qb.where('j.finished_at', '>=', new Date(since!)))
        .groupBy(['j.type_key', 'j.task_key', 'j.status']),
    );
  }
  if (byTaskRange) {
    parts.push(
      // The CTE by its bare name: this part is compiled apart from the WITH that defines it.
      q
        .selectFrom(sql<{ type_key: string; task_key: string }>`finished_tasks`.as('t'))
        .crossJoinLateral((eb) =>
          eb
            .selectFrom('jobs as j')
            .select(['j.status', count])
            .whereRef('j.type_key', '=', 't.type_key')
            .whereRef('j.task_key', '=', 't.task_key')
            .where('j.status', 'in', finished)
            .where('j.finished_at', '>=', new Date(since!))
            .groupBy('j.status')
            .as('f'),
        )
        .select(['t.type_key', 't.task_key', 'f.status', 'f.n']),
    );
  }
  const root = byTaskRange ? withFinishedTasks(q, sql) : q;
  const rows = await run(
    db,
    root
      .selectFrom(sql<CountRow>`(${sql.join(parts, sql` union all `)})`.as('c'))
      .select(['c.type_key', 'c.task_key', 'c.status', 'c.n'])
      .orderBy('c.type_key')
      .orderBy('c.task_key'),
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
