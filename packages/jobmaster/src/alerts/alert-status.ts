import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { WORKER_GONE_AFTER_SECONDS } from '../jobs/list-node-units.js';

/** Counting stops here: a backlog this large is shown as "10000+" rather than counted row by row. */
export const ALERT_COUNT_CAP = 10_000;

/** Failure alerts not yet delivered, for `jm status`. */
export interface AlertStatus {
  /** Undelivered alerts of jobs that failed for good (at most ALERT_COUNT_CAP; see `capped`). */
  undelivered: number;
  /** Undelivered alerts of failed attempts that were retried (delivered only by workers run with `--alert-on attempt`). */
  undeliveredAttempts: number;
  /** True when a count reached ALERT_COUNT_CAP and counting stopped. */
  capped: boolean;
  /** When the oldest undelivered final-failure alert was raised. */
  oldestAt: Date | null;
  /** The latest delivery error of an undelivered alert (the newest alert that has one). */
  lastError: { alertId: string; jobId: string; task: string; message: string; at: Date | null; deliveries: number } | null;
  /** Live workers that deliver alerts: by what they deliver. */
  deliverers: { final: number; attempt: number };
}

/** Reads the undelivered alerts' counts, the oldest, the latest delivery error and who delivers. */
export async function getAlertStatus(db: Queryable, schema: string): Promise<AlertStatus> {
  const s = quoteSchema(schema);
  const { rows } = await db.query<{
    final: number;
    attempts: number;
    oldest_at: Date | null;
    error_id: string | null;
    error_job_id: string | null;
    error_task: string | null;
    error_message: string | null;
    error_at: Date | null;
    error_deliveries: number | null;
    final_deliverers: number;
    attempt_deliverers: number;
  }>(
    // Each part walks job_alerts_pending (final desc, id), stopping at the cap.
    `select (select count(*)::int from (select 1 from ${s}.job_alerts a where a.delivered_at is null and a.final limit $1) f) as final,
            (select count(*)::int from (select 1 from ${s}.job_alerts a where a.delivered_at is null and not a.final limit $1) f) as attempts,
            (select a.failed_at from ${s}.job_alerts a where a.delivered_at is null and a.final order by a.final desc, a.id limit 1) as oldest_at,
            e.id::text as error_id, e.job_id::text as error_job_id, e.type_key || '.' || e.task_key as error_task,
            e.last_error as error_message, e.attempted_at as error_at, e.deliveries as error_deliveries,
            (select count(*)::int from ${s}.workers w where w.alerts = 'final' and w.last_seen_at > now() - make_interval(secs => $2)) as final_deliverers,
            (select count(*)::int from ${s}.workers w where w.alerts = 'attempt' and w.last_seen_at > now() - make_interval(secs => $2)) as attempt_deliverers
       from (select 1) one
       left join lateral (
         select a.* from ${s}.job_alerts a
          where a.delivered_at is null and a.last_error is not null
          order by a.final desc, a.id desc limit 1
       ) e on true`,
    [ALERT_COUNT_CAP, WORKER_GONE_AFTER_SECONDS],
  );
  const r = rows[0]!;
  return {
    undelivered: r.final,
    undeliveredAttempts: r.attempts,
    capped: r.final >= ALERT_COUNT_CAP || r.attempts >= ALERT_COUNT_CAP,
    oldestAt: r.oldest_at,
    lastError:
      r.error_id === null
        ? null
        : {
            alertId: r.error_id,
            jobId: r.error_job_id!,
            task: r.error_task!,
            message: r.error_message!,
            at: r.error_at,
            deliveries: r.error_deliveries ?? 0,
          },
    deliverers: { final: r.final_deliverers, attempt: r.attempt_deliverers },
  };
}
