import type { Queryable } from '../db/queryable.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { quoteSchema } from '../db/schema-name.js';
import { InvalidArgumentsError } from '../errors.js';

/** What `pruneAlerts` deleted. */
export interface PrunedAlerts {
  delivered: number;
  undelivered: number;
}

/**
 * Deletes failure alerts raised more than `olderThanMs` ago, delivered or not (the SQL
 * `prune_alerts`), optionally of one task only. `jm prune` calls it with the jobs' age.
 */
export async function pruneAlerts(
  db: Queryable,
  schema: string,
  options: { olderThanMs: number; task?: { typeKey: string; taskKey: string } },
): Promise<PrunedAlerts> {
  if (!Number.isFinite(options.olderThanMs) || options.olderThanMs < 0) {
    throw new InvalidArgumentsError(`olderThanMs must be a non-negative number of milliseconds, got ${String(options.olderThanMs)}`);
  }
  try {
    const { rows } = await db.query<{ delivered: string; undelivered: string }>(
      `select delivered, undelivered from ${quoteSchema(schema)}.prune_alerts(make_interval(secs => $1::float8 / 1000), $2, $3)`,
      [options.olderThanMs, options.task?.typeKey ?? null, options.task?.taskKey ?? null],
    );
    return { delivered: Number(rows[0]?.delivered ?? 0), undelivered: Number(rows[0]?.undelivered ?? 0) };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
