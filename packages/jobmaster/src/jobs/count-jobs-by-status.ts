import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';

/** Every job of the schema counted by status, statuses with none left out (what `jm deploy --reset` would destroy). */
export async function countJobsByStatus(db: Queryable, schema: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; n: number }>(
    `select status, count(*)::int as n from ${quoteSchema(schema)}.jobs group by status order by status`,
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
