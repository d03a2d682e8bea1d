import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';

/**
 * Gives a worker's running jobs back to the queue without counting the attempt (the SQL
 * `release_jobs`). Returns the ids released.
 */
export async function releaseJobs(
  db: Queryable,
  schema: string,
  workerId: string,
  ids: readonly string[],
  message: string,
): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>(`select id from ${quoteSchema(schema)}.release_jobs($1, $2::bigint[], $3) id`, [
    workerId,
    ids,
    message,
  ]);
  return new Set(rows.map((r) => String(r.id)));
}
