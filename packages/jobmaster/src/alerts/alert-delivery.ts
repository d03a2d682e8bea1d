import { setTimeout as delay } from 'node:timers/promises';
import type { JobLogger } from '../registry/job-context.js';
import { WakeSignal } from '../worker/wake-signal.js';
import type { AlertDestination } from './alert-destinations.js';
import { alertRetryDelayMs, type ResolvedAlertOptions } from './alert-options.js';
import type { AlertOutcome, AlertStore } from './alert-store.js';
import { toFailureAlert, type AlertRow } from './failure-alert.js';
import { RateLimiter } from './rate-limiter.js';

/** What a worker's alert delivery did, in its summary. */
export interface AlertSummary {
  /** Alerts every destination took. */
  delivered: number;
  /** Delivery attempts a destination refused or did not answer in time (each is retried). */
  failedAttempts: number;
  /** Alerts this worker would deliver that were still undelivered when it stopped. */
  pending: number;
  /** The last delivery error, if any. */
  lastError: string | null;
}

/**
 * A claim holds twice the delivery's timeout plus this many seconds: long enough that a live
 * deliverer settles first, short enough that a dead one's alerts are soon due again.
 */
const CLAIM_MARGIN_SECONDS = 10;
/** The same delivery error is logged at most once in this many milliseconds. */
const LOG_EVERY_MS = 30_000;

/**
 * A worker's alert delivery loop, beside its claim loop and never in its way: it claims due
 * alerts (claim_alerts, a lease that lapses if this process dies), hands each to every
 * destination at once, each bounded by the timeout, starts at most `perSecond` deliveries a
 * second and `concurrency` at a time, and records outcomes (settle_alerts); a refused alert
 * is due again after a doubling backoff. It wakes when this worker records a failure, when a
 * retry is due, and every poll interval (failures other workers record, leases that lapse).
 */
export class AlertDelivery {
  readonly #wake = new WakeSignal();
  readonly #limiter: RateLimiter;
  readonly #inFlight = new Set<Promise<void>>();
  #outcomes: AlertOutcome[] = [];
  #stopping = false;
  #abandoned = false;
  #loop: Promise<void> | null = null;
  /** While flushing: stop once nothing is left for this worker, or at this time (epoch ms). */
  #flushUntil: number | null = null;
  #pendingLeft = 0;
  #waitMs = 30_000;
  readonly #summary: AlertSummary = { delivered: 0, failedAttempts: 0, pending: 0, lastError: null };
  #logged = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly store: AlertStore,
    private readonly destinations: AlertDestination[],
    private readonly options: ResolvedAlertOptions,
    private readonly schema: string,
    private readonly pollIntervalMs: number,
    private readonly logger: JobLogger,
  ) {
    this.#limiter = new RateLimiter(options.perSecond);
  }

  /** Starts the loop (once). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Something failed here: look for alerts at once. */
  poke(): void {
    this.#wake.wake();
  }

  /**
   * Stops claiming and resolves once the deliveries in flight have ended (or `waitMs` has
   * passed: those still out are delivered again once their claims lapse) and the outcomes
   * are recorded. With `flushMs`, first keeps delivering until nothing this worker would
   * deliver is left, retries included, or `flushMs` milliseconds have passed.
   */
  async stop(flushMs = 0, waitMs = 30_000): Promise<AlertSummary> {
    this.start();
    this.#waitMs = waitMs;
    if (flushMs > 0 && !this.#stopping) this.#flushUntil = Date.now() + flushMs;
    else this.#stopping = true;
    this.#wake.wake();
    await this.#loop;
    return { ...this.#summary };
  }

  /** Stops at once, as a crash would: claimed alerts are delivered again once their claims lapse. */
  abandon(): void {
    this.#stopping = true;
    this.#abandoned = true;
    this.#wake.wake();
  }

  async #run(): Promise<void> {
    await this.store.announce().catch(() => {});
    while (!this.#stopping) {
      await this.#settle();
      const free = Math.min(this.options.concurrency - this.#inFlight.size, this.#limiter.available());
      if (free > 0) {
        const claimed = await this.#claim(free);
        // Claimed all it asked for: more may be due.
        if (claimed === free) continue;
      }
      if (this.#flushUntil !== null && (await this.#flushDone())) break;
      await this.#wake.wait(this.#nextLookMs(free));
    }
    if (!this.#abandoned && this.#inFlight.size > 0) {
      await Promise.race([Promise.all([...this.#inFlight]), delay(this.#waitMs, undefined, { ref: false })]);
    }
    await this.#settle();
    if (!this.#abandoned)
      this.#summary.pending = await this.store.pending().then(
        (p) => p.count,
        () => this.#pendingLeft,
      );
  }

  /** Claims up to `limit` due alerts and starts delivering them; returns how many (-1 when the database failed). */
  async #claim(limit: number): Promise<number> {
    try {
      const rows = await this.store.claim(limit, (2 * this.options.timeoutMs) / 1000 + CLAIM_MARGIN_SECONDS);
      this.#limiter.take(rows.length);
      for (const row of rows) this.#launch(row);
      return rows.length;
    } catch (error) {
      if (!this.#stopping) this.#log(`could not claim alerts, retrying: ${(error as Error).message}`);
      return -1;
    }
  }

  /** How long to sleep when nothing more can be claimed now. */
  #nextLookMs(free: number): number {
    let ms = this.pollIntervalMs;
    if (free <= 0 && this.#inFlight.size < this.options.concurrency) ms = Math.min(ms, this.#limiter.msUntilNext());
    if (this.#flushUntil !== null) ms = Math.min(ms, Math.max(0, this.#flushUntil - Date.now()));
    return ms;
  }

  /** While flushing: true once nothing is left for this worker or time is up; otherwise sets a wake for the next due alert. */
  async #flushDone(): Promise<boolean> {
    if (Date.now() >= this.#flushUntil!) return true;
    if (this.#inFlight.size > 0) return false;
    const pending = await this.store.pending().catch(() => null);
    if (pending === null) return false;
    this.#pendingLeft = pending.count;
    if (pending.count === 0) return true;
    if (pending.dueInMs !== null) this.#wake.wakeAt(Date.now() + pending.dueInMs + 5);
    return false;
  }

  #launch(row: AlertRow): void {
    const delivery = this.#deliver(row).finally(() => {
      this.#inFlight.delete(delivery);
      this.#wake.wake();
    });
    this.#inFlight.add(delivery);
  }

  /** Hands one alert to every destination that wants it and has not taken it yet; never throws. */
  async #deliver(row: AlertRow): Promise<void> {
    const alert = toFailureAlert(this.schema, row);
    const took = new Set(row.delivered_to);
    const targets = this.destinations.filter((d) => !took.has(d.name) && d.wants(alert));
    const results = await Promise.allSettled(targets.map((d) => d.deliver(alert, AbortSignal.timeout(this.options.timeoutMs))));
    const deliveredTo: string[] = [];
    const errors: string[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') deliveredTo.push(targets[i]!.name);
      else errors.push(r.reason instanceof Error ? r.reason.message : String(r.reason));
    });
    if (this.#abandoned) return;
    const error = errors.length === 0 ? null : errors.join('; ');
    const retryMs = alertRetryDelayMs(this.options, row.deliveries);
    this.#outcomes.push({ id: row.id, deliveredTo, error, retrySeconds: retryMs / 1000 });
    if (error === null) return;
    this.#summary.failedAttempts++;
    this.#summary.lastError = error;
    this.#wake.wakeAt(Date.now() + retryMs + 5);
    this.#log(`alert ${row.id} for job ${row.job_id} (${alert.task}) not delivered, retrying in ${retryMs / 1000} s: ${error}`, error);
  }

  /** Records the outcomes gathered so far; on a database error keeps them for the next turn. */
  async #settle(): Promise<void> {
    if (this.#outcomes.length === 0) return;
    const batch = this.#outcomes;
    this.#outcomes = [];
    try {
      const delivered = await this.store.settle(batch);
      this.#summary.delivered += delivered.size;
    } catch (error) {
      this.#outcomes.unshift(...batch);
      this.#log(`could not record alert deliveries, retrying: ${(error as Error).message}`);
      if (!this.#stopping) await this.#wake.wait(this.pollIntervalMs);
    }
  }

  /** Logs a line, at most once per LOG_EVERY_MS for the same `key`, saying how many were left out. */
  #log(line: string, key = line): void {
    const now = Date.now();
    const last = this.#logged.get(key);
    if (last && now - last.at < LOG_EVERY_MS) {
      last.suppressed++;
      return;
    }
    const more = last?.suppressed ? ` (${last.suppressed} more like it since)` : '';
    this.#logged.set(key, { at: now, suppressed: 0 });
    if (this.#logged.size > 100) this.#logged = new Map([...this.#logged].slice(-50));
    this.logger.warn(`jobmaster alerts: ${line}${more}`);
  }
}
