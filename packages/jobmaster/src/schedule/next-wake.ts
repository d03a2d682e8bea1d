import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';

/** When an idle worker should look at the queue again, measured on the database's clock. */
export interface NextWake {
  /** The earliest run-at of a waiting job not yet due (of the given tasks), or null. */
  nextRunAt: Date | null;
  /** The earliest next tick of an active schedule, or null. */
  nextTickAt: Date | null;
  /** Milliseconds from now until the earlier of the two, by the database's clock; null when neither exists. */
  delayMs: number | null;
  /** Milliseconds from now until `nextRunAt`, by the database's clock; null when there is none. */
  runAtDelayMs: number | null;
}

/**
 * Looks up the earliest future run-at (among `tasks`, 'type.task' names; all tasks when
 * omitted) and the earliest schedule tick, so an idle worker can set a timer for them
 * instead of waiting for its slow poll.
 */
export async function nextWake(db: Queryable, schema: string, tasks?: readonly string[]): Promise<NextWake> {
  const { rows } = await db.query<{ next_run_at: Date | null; next_tick_at: Date | null; db_now: Date }>(
    `select next_run_at, next_tick_at, db_now from ${quoteSchema(schema)}.next_wake($1::text[])`,
    [tasks ?? null],
  );
  const row = rows[0]!;
  const times = [row.next_run_at, row.next_tick_at].filter((t): t is Date => t !== null).map((t) => t.getTime());
  const delayMs = times.length === 0 ? null : Math.max(0, Math.min(...times) - row.db_now.getTime());
  const runAtDelayMs = row.next_run_at === null ? null : Math.max(0, row.next_run_at.getTime() - row.db_now.getTime());
  return { nextRunAt: row.next_run_at, nextTickAt: row.next_tick_at, delayMs, runAtDelayMs };
}
