import type { Queryable } from '../db/queryable.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { quoteSchema } from '../db/schema-name.js';

/** Jobs that finished in one minute. */
export interface ThroughputMinute {
  /** The minute's start. */
  minute: Date;
  complete: number;
  failed: number;
}

/**
 * Finished jobs per minute over the last `minutes` minutes (Default: 60), oldest first, one
 * entry per minute including empty ones. Counts the jobs of deployed tasks, reading only the
 * window through the per-task finished-at index.
 */
export async function getThroughput(db: Queryable, schema: string, minutes = 60): Promise<ThroughputMinute[]> {
  const span = Math.max(1, Math.min(1440, Math.floor(minutes)));
  try {
    const { rows } = await db.query<{ minute: Date; complete: string; failed: string }>(
      // Read per registered task through jobs_finished (type_key, task_key, finished_at): one
      // index range each, so the cost follows the window's jobs, not the table. The window's
      // start is a stable expression in the condition, not a joined value, so the range applies.
      `with finished as (
         select date_trunc('minute', j.finished_at) as minute, j.status
           from ${quoteSchema(schema)}.tasks t
           cross join lateral (
             select j.finished_at, j.status from ${quoteSchema(schema)}.jobs j
              where j.type_key = t.type_key and j.task_key = t.task_key
                and j.finished_at >= date_trunc('minute', now()) - ($1::int - 1) * interval '1 minute'
                and j.finished_at is not null) j
          where j.status in ('complete', 'failed'))
       select m.minute,
              count(f.status) filter (where f.status = 'complete') as complete,
              count(f.status) filter (where f.status = 'failed') as failed
         from generate_series(date_trunc('minute', now()) - ($1::int - 1) * interval '1 minute', date_trunc('minute', now()), interval '1 minute') m(minute)
         left join finished f on f.minute = m.minute
        group by m.minute order by m.minute`,
      [span],
    );
    return rows.map((r) => ({ minute: r.minute, complete: Number(r.complete), failed: Number(r.failed) }));
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
