import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
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
  const { rows } = await db.query<{
    id: string;
    type_key: string;
    task_key: string;
    finished_at: Date | null;
    attempts: number;
    max_attempts: number;
    message: string | null;
  }>(
    `select j.id, j.type_key, j.task_key, j.finished_at, j.attempts, j.max_attempts,
            coalesce(j.message, j.error ->> 'message') as message
       from ${quoteSchema(schema)}.jobs j
      where j.status = 'failed'
        and ($1::text is null or (j.type_key = $1 and j.task_key = $2::text))
        and ($3::timestamptz is null or j.finished_at >= $3)
      order by j.finished_at desc nulls last
      limit $4`,
    [filters.task?.typeKey ?? null, filters.task?.taskKey ?? null, filters.since?.toISOString() ?? null, limit],
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
