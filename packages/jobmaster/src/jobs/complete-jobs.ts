import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';

/**
 * Completes a worker's jobs in one round trip (the SQL `complete_jobs`); each result is already
 * serialised as JSON text, so it is spliced into the payload without parsing it again. Returns
 * the ids it could not complete (the worker no longer holds them), usually none.
 */
export async function completeJobs(
  db: Queryable,
  schema: string,
  workerId: string,
  results: ReadonlyArray<{ id: string; json: string }>,
): Promise<Set<string>> {
  const ids = `{${results.map((r) => r.id).join(',')}}`;
  const payload = `[${results.map((r) => r.json).join(',')}]`;
  const { rows } = await db.query<{ id: string }>(`select id from ${quoteSchema(schema)}.complete_jobs($1, $2::bigint[], $3::jsonb) id`, [
    workerId,
    ids,
    payload,
  ]);
  return new Set(rows.map((r) => String(r.id)));
}
