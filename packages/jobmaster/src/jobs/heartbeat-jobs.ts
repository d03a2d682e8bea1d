import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';

/**
 * Renews the leases of a worker's running jobs (the SQL `heartbeat`) and reports the starts of
 * jobs it held ahead (`started`); returns the jobs it still holds, each with whether an
 * operator asked to cancel it.
 */
export async function heartbeatJobs(
  db: Queryable,
  schema: string,
  workerId: string,
  ids: readonly string[],
  leaseSeconds: number,
  started: readonly string[] = [],
): Promise<Map<string, boolean>> {
  const { rows } = await db.query<{ id: string; cancel_requested: boolean }>(
    `select id, cancel_requested from ${quoteSchema(schema)}.heartbeat($1, $2::bigint[], $3, $4::bigint[])`,
    [workerId, ids, leaseSeconds, started],
  );
  return new Map(rows.map((r) => [String(r.id), r.cancel_requested]));
}
