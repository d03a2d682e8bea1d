import type { Queryable } from '../db/queryable.js';
import { queryTools } from './query-builder.js';
import type { StatusFilters } from './status-filters.js';

/** A job that failed for good. */
export interface FailedJob {
  id: string;
  /** `type_key.task_key` */
  task: string;
  finishedAt: Date | null;
  attempts: number;
  maxAttempts: number;
  /** Why it failed: the job's last message (its error, or the dependency that failed). */
  message: string | null;
}

/** The most recent failures, newest first. (Default limit: 10) */
export async function listRecentFailures(
  db: Queryable,
  schema: string,
  filters: Pick<StatusFilters, 'task' | 'since'> = {},
  limit = 10,
): Promise<FailedJob[]> {
  const { task, since } = filters;
  const { inSchema, sql, run } = await queryTools();
  const rows = await run(
    db,
    inSchema(schema)
      .selectFrom('jobs as j')
      .select([
        'j.id',
        'j.type_key',
        'j.task_key',
        'j.finished_at',
        'j.attempts',
        'j.max_attempts',
        sql<string | null>`coalesce(j.message, j.error ->> 'message')`.as('message'),
      ])
      .where('j.status', '=', sql.lit('failed'))
      .$if(task !== undefined, (qb) => qb.where('j.type_key', '=', task!.typeKey).where('j.task_key', '=', task!.taskKey))
      .$if(since !== undefined, (qb) => qb.where('j.finished_at', '>=', since!))
      .orderBy(sql`j.finished_at desc nulls last`)
      .limit(limit),
  );
  return rows.map((r) => ({
    id: String(r.id),
    task: `${r.type_key}.${r.task_key}`,
    finishedAt: r.finished_at,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    message: r.message,
  }));
}
