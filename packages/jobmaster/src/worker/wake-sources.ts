import type pg from 'pg';
import { notifyChannel } from '../db/schema-name.js';
import { ScheduleTicker } from '../schedule/schedule-ticker.js';
import { NotificationListener } from './notification-listener.js';
import type { WorkerEvent } from './worker-events.js';
import type { ResolvedWorkerOptions } from './worker-options.js';

/** What wakes a long-running worker besides its own jobs ending. */
export interface WakeSources {
  /** LISTEN on the schema's channel: a NOTIFY from any enqueue or completion. */
  listener: NotificationListener;
  /** Fires due cron schedules about every second and on each tick. */
  ticker: ScheduleTicker;
}

/**
 * Starts listening for notifications (calling `poke` on each) and the schedule ticker. The
 * listener's first connection is made before this resolves, so a database that cannot be
 * reached fails the worker's start, not its first claim.
 */
export async function startWakeSources(
  pool: pg.Pool,
  o: ResolvedWorkerOptions,
  poke: () => void,
  onEvent: (event: WorkerEvent) => void,
): Promise<WakeSources> {
  const listener = new NotificationListener(pool, notifyChannel(o.schema), poke, (state, message) =>
    onEvent({ type: 'connection', state, message }),
  );
  try {
    await listener.start();
  } catch (error) {
    await listener.stop().catch(() => {});
    throw error;
  }
  const ticker = new ScheduleTicker(pool, o.schema, {
    onError: (e) => o.logger.warn(`jobmaster worker: firing schedules failed, retrying: ${(e as Error).message}`),
  });
  ticker.start();
  return { listener, ticker };
}
