import type pg from 'pg';
import { translateDatabaseError } from '../db/database-errors.js';
import { quoteSchema } from '../db/schema-name.js';
import { CronSchedule } from './cron-expression.js';
import { parseCatchUp, type CatchUp } from './schedule-definition.js';
import { planTicks } from './tick-plan.js';

/** One tick fired. */
export interface FiredTick {
  schedule: string;
  tick: Date;
  /** The job inserted for it; null when it could not be (see `error`). */
  jobId: string | null;
  error: string | null;
}

/** What {@link fireDueSchedules} did. */
export interface FireResult {
  fired: FiredTick[];
  /** The earliest next tick of any active schedule after this round, or null when there is none. */
  nextTickAt: Date | null;
  /** Milliseconds until `nextTickAt` by the database's clock (0 when already due), or null. */
  nextTickDelayMs: number | null;
}

interface DueRow {
  name: string;
  cron: string;
  time_zone: string | null;
  catch_up: string;
  backfill_limit: number | null;
  next_fire_at: Date;
  db_now: Date;
}

/** Most schedules fired in one round; the rest wait for the next round (a second later). */
const ROUND_LIMIT = 200;

/**
 * Fires every schedule whose next tick has come, once, however many workers call this at the
 * same time: due rows are locked (`for update skip locked`, so concurrent callers share the
 * work instead of waiting), the ticks to fire are computed here from the cron expression and
 * the catch-up policy against the database's clock, and `fire_schedule` advances each row's
 * next tick by compare-and-set and inserts the tick's job in the same transaction. Call it
 * about once a second and when the earliest next tick comes; the worker does.
 */
export async function fireDueSchedules(pool: pg.Pool, schema: string): Promise<FireResult> {
  const s = quoteSchema(schema);
  const fired: FiredTick[] = [];
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query<DueRow>(
      `select name, cron, time_zone, catch_up, backfill_limit, next_fire_at, now() as db_now
         from ${s}.schedules
        where not paused and next_fire_at <= now()
        order by next_fire_at
        limit ${ROUND_LIMIT}
          for update skip locked`,
    );
    for (const row of rows) {
      let ticks: Date[] = [];
      let next: Date | null = null;
      let problem: string | null = null;
      try {
        const cron = CronSchedule.parse(row.cron, row.time_zone);
        ({ ticks, next } = planTicks(cron, catchUpOf(row), row.next_fire_at, row.db_now));
      } catch (error) {
        problem = (error as Error).message;
      }
      const result = await client.query<{ tick: Date; job_id: string | null; error: string | null }>(
        `select tick, job_id::text, error from ${s}.fire_schedule($1, $2, $3::timestamptz[], $4, $5)`,
        [row.name, row.next_fire_at, ticks, next, problem],
      );
      for (const r of result.rows) fired.push({ schedule: row.name, tick: r.tick, jobId: r.job_id, error: r.error });
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw translateDatabaseError(error, { schema });
  } finally {
    client.release();
  }
  const { rows } = await pool.query<{ next: Date | null; now: Date }>(
    `select min(next_fire_at) as next, now() as now from ${s}.schedules where not paused`,
  );
  const next = rows[0]?.next ?? null;
  return { fired, nextTickAt: next, nextTickDelayMs: next === null ? null : Math.max(0, next.getTime() - rows[0]!.now.getTime()) };
}

function catchUpOf(row: DueRow): CatchUp {
  return parseCatchUp(row.catch_up === 'backfill' ? `backfill:${row.backfill_limit ?? 1}` : row.catch_up);
}
