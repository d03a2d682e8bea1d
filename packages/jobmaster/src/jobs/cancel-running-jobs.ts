import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';

/**
 * The worker's side of a cancellation (the SQL `cancel_running_jobs`): records the jobs it
 * aborted as cancelled, failing the jobs waiting on them. Returns the ids cancelled.
 */
export async function cancelRunningJobs(
  db: Queryable,
  schema: string,
  workerId: string,
  ids: readonly string[],
  message: string,
): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>(`select id from ${quoteSchema(schema)}.cancel_running_jobs($1, $2::bigint[], $3) id`, [
    workerId,
    ids,
    message,
  ]);
  return new Set(rows.map((r) => String(r.id)));
}
