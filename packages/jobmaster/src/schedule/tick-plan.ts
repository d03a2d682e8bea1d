import type { CronSchedule } from './cron-expression.js';
import { ON_TIME_GRACE_MS, type CatchUp } from './schedule-definition.js';

/** What one firing of a schedule does: the ticks to insert jobs for, and the next tick to wait for. */
export interface TickPlan {
  /** Ticks to fire, oldest first (at most the catch-up limit). */
  ticks: Date[];
  /** The first tick after `now`, or null when the expression has no further tick. */
  next: Date | null;
}

/**
 * Decides which due ticks of a schedule to fire at `now`. Due ticks are those in
 * [nextFireAt, now]; on time, that is exactly one. More than one (or one far in the past)
 * means workers were down: the catch-up policy picks which to fire. Walks back from `now`,
 * so a long outage costs as many steps as ticks fired, not as ticks missed.
 */
export function planTicks(cron: CronSchedule, catchUp: CatchUp, nextFireAt: Date, now: Date): TickPlan {
  const next = cron.next(now);
  switch (catchUp.mode) {
    case 'latest':
      return { ticks: cron.latestTicks(nextFireAt, now, 1), next };
    case 'backfill':
      return { ticks: cron.latestTicks(nextFireAt, now, catchUp.limit), next };
    case 'skip': {
      const due = cron.latestTicks(nextFireAt, now, 2);
      const onTime = due.length === 1 && now.getTime() - due[0]!.getTime() <= ON_TIME_GRACE_MS;
      return { ticks: onTime ? due : [], next };
    }
  }
}
