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
 * entry per minute including empty ones. Reads only the window, through the finished-at index.
 */
export async function getThroughput(db: Queryable, schema: string, minutes = 60): Promise<ThroughputMinute[]> {
  const span = Math.max(1, Math.min(1440, Math.floor(minutes)));
  try {
    const { rows } = await db.query<{ minute: Date; complete: string; failed: string }>(
      `with bounds as (select date_trunc('minute', now()) - ($1::int - 1) * interval '1 minute' as first_minute),
            finished as (
              select date_trunc('minute', j.finished_at) as minute, j.status
                from ${quoteSchema(schema)}.jobs j, bounds b
               where j.finished_at >= b.first_minute and j.status in ('complete', 'failed'))
       select m.minute,
              count(f.status) filter (where f.status = 'complete') as complete,
              count(f.status) filter (where f.status = 'failed') as failed
         from bounds b, generate_series(b.first_minute, date_trunc('minute', now()), interval '1 minute') m(minute)
         left join finished f on f.minute = m.minute
        group by m.minute order by m.minute`,
      [span],
    );
    return rows.map((r) => ({ minute: r.minute, complete: Number(r.complete), failed: Number(r.failed) }));
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
