import type pg from 'pg';
import { fireDueSchedules, type FireResult } from './fire-schedules.js';

/** How often a ticker looks for due schedules at most, in milliseconds. (Default: 1,000) */
export const SCHEDULE_CHECK_INTERVAL_MS = 1_000;

/** Callbacks of a {@link ScheduleTicker}. */
export interface ScheduleTickerOptions {
  /** Milliseconds between looks when no tick comes sooner. (Default: 1,000) */
  intervalMs?: number;
  /** After each round that fired at least one tick. (Default: none) */
  onFired?: (result: FireResult) => void;
  /** When a round fails after one that did not (database unreachable...); the ticker keeps going. (Default: none) */
  onError?: (error: unknown) => void;
}

/**
 * Fires due schedules from a long-running worker: a round at start, then every `intervalMs`,
 * or sooner when the earliest next tick comes sooner (to the millisecond, by the database's
 * clock). Rounds never overlap. Many tickers in many processes are safe together: the
 * database gives each tick one job (see {@link fireDueSchedules}).
 */
export class ScheduleTicker {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #interval: number;
  readonly #options: ScheduleTickerOptions;
  #timer: NodeJS.Timeout | null = null;
  #round: Promise<void> | null = null;
  #stopped = false;
  #failing = false;

  constructor(pool: pg.Pool, schema: string, options: ScheduleTickerOptions = {}) {
    this.#pool = pool;
    this.#schema = schema;
    this.#interval = options.intervalMs ?? SCHEDULE_CHECK_INTERVAL_MS;
    this.#options = options;
  }

  /** Starts firing; the first round runs at once. */
  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops, waiting for a round in flight to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#round;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#round = this.#fire().finally(() => {
        this.#round = null;
      });
    }, ms);
    this.#timer.unref();
  }

  async #fire(): Promise<void> {
    let wait = this.#interval;
    try {
      const result = await fireDueSchedules(this.#pool, this.#schema);
      if (result.nextTickDelayMs !== null) wait = Math.min(wait, Math.max(1, result.nextTickDelayMs));
      this.#failing = false;
      if (result.fired.length > 0) this.#options.onFired?.(result);
    } catch (error) {
      // Once per outage, not once a second.
      if (!this.#failing) this.#options.onError?.(error);
      this.#failing = true;
    }
    this.#schedule(wait);
  }
}
