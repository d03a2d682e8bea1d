import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';

/** Jobs left for a drain: running ones plus waiting ones due now (what `jm run --until-empty` shows as remaining). */
export async function countRemainingJobs(db: Queryable, schema: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from ${quoteSchema(schema)}.jobs
      where status = 'running' or (status = 'waiting' and run_at <= now())`,
  );
  return rows[0]?.n ?? 0;
}
