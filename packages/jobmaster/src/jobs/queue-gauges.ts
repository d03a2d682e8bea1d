import type { Queryable } from '../db/queryable.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { quoteSchema } from '../db/schema-name.js';

/** Why a waiting job cannot be claimed now. */
export type BlockedReason = 'scheduled' | 'retry_backoff' | 'dependencies';

/** The reasons, in the order the gauges list them. */
export const BLOCKED_REASONS: readonly BlockedReason[] = ['scheduled', 'retry_backoff', 'dependencies'];

/** One task's queue gauges (see the SQL `queue_gauges`). */
export interface TaskGauges {
  /** `type_key.task_key` */
  task: string;
  /** Waiting jobs, due or not (the blocked ones included). */
  waiting: number;
  /** Running jobs, those claimed ahead by a worker included. */
  running: number;
  /**
   * Waiting jobs that cannot be claimed now, by reason: `scheduled` (run-at in the future),
   * `retry_backoff` (a failed attempt's backoff has not passed), `dependencies` (waiting for
   * dependency jobs that still wait or run).
   */
  blocked: Record<BlockedReason, number>;
  /** Seconds the longest-waiting due job has been due (since its run-at, or its creation if later); 0 when none. */
  oldestDueSeconds: number;
  /** Jobs that failed for good in the last hour. */
  failedLastHour: number;
}

type GaugeRow = {
  type_key: string;
  task_key: string;
  waiting: string;
  running: string;
  scheduled: string;
  retry_backoff: string;
  dependencies: string;
  oldest_due_seconds: number;
  failed_last_hour: string;
};

/**
 * Reads the queue gauges in one round trip: one entry per registered task (zeros included)
 * and per other task with waiting, running or recently failed jobs, in name order. Read from
 * indexes that hold only what they count: cheap however many finished jobs the table keeps.
 */
export async function readQueueGauges(db: Queryable, schema: string): Promise<TaskGauges[]> {
  try {
    const { rows } = await db.query<GaugeRow>(`select * from ${quoteSchema(schema)}.queue_gauges()`);
    return rows.map((r) => ({
      task: `${r.type_key}.${r.task_key}`,
      waiting: Number(r.waiting),
      running: Number(r.running),
      blocked: { scheduled: Number(r.scheduled), retry_backoff: Number(r.retry_backoff), dependencies: Number(r.dependencies) },
      oldestDueSeconds: r.oldest_due_seconds,
      failedLastHour: Number(r.failed_last_hour),
    }));
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
