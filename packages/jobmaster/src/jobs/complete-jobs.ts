import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';

/** What a `complete_jobs` call could not complete, by job id. */
export interface NotCompleted {
  /** Jobs the worker no longer holds (the lease lapsed and the job went back to the queue). */
  lost: Set<string>;
  /** Jobs that failed instead: their next task (`@task({ next })`) refused the result. By id, the job's message. */
  refused: Map<string, string>;
}

/**
 * Completes a worker's jobs in one round trip (the SQL `complete_jobs`); each result is already
 * serialised as JSON text, so it is spliced into the payload without parsing it again. Says
 * which it could not complete, usually none (a second round trip only then).
 */
export async function completeJobs(
  db: Queryable,
  schema: string,
  workerId: string,
  results: ReadonlyArray<{ id: string; json: string }>,
): Promise<NotCompleted> {
  const ids = `{${results.map((r) => r.id).join(',')}}`;
  const payload = `[${results.map((r) => r.json).join(',')}]`;
  const s = quoteSchema(schema);
  const { rows } = await db.query<{ id: string }>(`select id from ${s}.complete_jobs($1, $2::bigint[], $3::jsonb) id`, [
    workerId,
    ids,
    payload,
  ]);
  const notCompleted: NotCompleted = { lost: new Set(rows.map((r) => String(r.id))), refused: new Map() };
  if (rows.length === 0) return notCompleted;
  const failed = await db.query<{ id: string; message: string }>(
    `select id::text, message from ${s}.jobs where id = any ($1::bigint[]) and status = 'failed' and worker_id = $2`,
    [[...notCompleted.lost], workerId],
  );
  for (const row of failed.rows) {
    notCompleted.lost.delete(row.id);
    notCompleted.refused.set(row.id, row.message);
  }
  return notCompleted;
}
