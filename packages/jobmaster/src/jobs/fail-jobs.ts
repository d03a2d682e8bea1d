import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';

/** What recording a failed attempt did: failed for good, or when the retry may start. */
export interface FailedAttempt {
  final: boolean;
  runAt: Date;
}

/**
 * Records failed attempts of a worker's jobs (the SQL `fail_jobs`); returns, for each job the
 * worker still held, whether it failed for good and when a retry may start.
 */
export async function failJobs(
  db: Queryable,
  schema: string,
  workerId: string,
  failures: ReadonlyArray<{ id: string; message: string; stack: string | null }>,
): Promise<Map<string, FailedAttempt>> {
  const payload = JSON.stringify(failures.map((f) => ({ id: f.id, message: f.message, stack: f.stack })));
  const { rows } = await db.query<{ id: string; final: boolean; run_at: Date }>(
    `select id, final, run_at from ${quoteSchema(schema)}.fail_jobs($1, $2::jsonb)`,
    [workerId, payload],
  );
  return new Map(rows.map((r) => [String(r.id), { final: r.final, runAt: r.run_at }]));
}
