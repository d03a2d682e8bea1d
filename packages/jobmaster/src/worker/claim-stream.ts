import type { JobLogger } from '../registry/job-context.js';
import type { ClaimedQueue } from './claimed-queue.js';
import { retryDelayMs } from './retry-delay.js';
import type { WakeSignal } from './wake-signal.js';
import type { ClaimerIdentity, ClaimResult, WorkerQueries } from './worker-queries.js';

/** What the claim stream needs from the worker around it. */
export interface ClaimStreamHost {
  /** Takes a claim's jobs: queues and starts those to run, counts those the database handled. */
  accept(claimed: ClaimResult): void;
  /** Counts notifications, job ends, outcomes and heartbeats: a claim that ran meanwhile is not the last word. */
  activity(): number;
  /** Outcomes written so far. */
  recorded(): number;
  /** Milliseconds until the earliest future run-at among the worker's tasks, or null (see next_wake). */
  runAtDelayMs(): Promise<number | null>;
  /** Takes the held jobs started since the last report, to report with the claim. */
  takeStarts(): string[];
  /** Gives back starts a failed claim did not report. */
  restoreStarts(ids: string[]): void;
  /** A claim round trip took `durationMs` and returned `jobs` jobs. */
  claimed(durationMs: number, jobs: number): void;
}

export interface ClaimStreamOptions {
  concurrency: number;
  processUnits: number;
  untilEmpty: boolean;
  logger: JobLogger;
}

/**
 * The worker's claims: when to send one and how many jobs to ask for (see
 * {@link ClaimedQueue.nextClaim}), the claims in flight (at most two), whether the queue
 * looked empty (idle: no claim until something wakes the worker), and the back-off after a
 * failed claim. A failure a cron drain cannot wait out is kept for the worker to throw.
 */
export class ClaimStream {
  /** Claims in flight: they run beside the jobs. */
  readonly #claims = new Set<Promise<void>>();
  /** Jobs asked for by the claims in flight. */
  #want = 0;
  /** The last claim returned every job it asked for: there is probably more. */
  #backlog = false;
  #failure: unknown = null;
  #errors = 0;
  #nextAt = 0;
  #idle = false;
  #idleSince = 0;

  constructor(
    private readonly queries: WorkerQueries,
    private readonly who: ClaimerIdentity,
    private readonly queue: ClaimedQueue,
    private readonly wake: WakeSignal,
    private readonly options: ClaimStreamOptions,
    private readonly host: ClaimStreamHost,
  ) {}

  /** The last claim found no more work: the worker waits for a wake-up before claiming again. */
  get idle(): boolean {
    return this.#idle;
  }

  /** Outcomes written when the claim that found the queue empty was sent (a drain ends once none was written since). */
  get idleSince(): number {
    return this.#idleSince;
  }

  get inFlight(): number {
    return this.#claims.size;
  }

  /** Something happened that may make work claimable: claim again at the next look. */
  resume(): void {
    this.#idle = false;
  }

  /** Throws a claim failure the worker cannot wait out (a drain's, or a missing schema). */
  throwIfFailed(): void {
    if (this.#failure !== null) throw this.#failure;
  }

  /**
   * Sends a claim if one is due for `running` jobs running now. Returns true when a second
   * claim may go out at once, so the worker should look again without waiting.
   */
  next(running: number): boolean {
    if (this.#idle || performance.now() < this.#nextAt) return false;
    const o = this.options;
    const want = this.queue.nextClaim({
      free: o.concurrency - running,
      running,
      budget: o.processUnits,
      claims: this.#claims.size,
      claimsWant: this.#want,
      backlog: this.#backlog,
    });
    if (want <= 0) return false;
    // Jobs that will start as soon as they arrive: slots not taken by jobs already held or
    // asked for. The rest of the claim is held ahead, its attempts not counted until started.
    const start = Math.max(0, o.concurrency - running - this.queue.size - this.#want);
    this.#want += want;
    const claim = this.#claim(want, start).finally(() => {
      this.#claims.delete(claim);
      this.#want -= want;
      // Look again at once unless the claim found nothing (a drain then checks whether it is done).
      if (!this.#idle || o.untilEmpty) this.wake.wake();
    });
    this.#claims.add(claim);
    return this.#claims.size === 1 && this.#backlog;
  }

  /** Resolves once no claim is in flight (shutdown). */
  async settled(): Promise<void> {
    await Promise.all(this.#claims);
  }

  /** One claim round trip; its jobs go to the worker. */
  async #claim(limit: number, start: number): Promise<void> {
    const o = this.options;
    const recordedBefore = this.host.recorded();
    const activityBefore = this.host.activity();
    const started = this.host.takeStarts();
    let claimed: ClaimResult;
    try {
      const sent = performance.now();
      claimed = await this.queries.claim(this.who, limit, start, started);
      this.host.claimed(performance.now() - sent, claimed.run.length + claimed.handled.length);
      this.#errors = 0;
    } catch (error) {
      this.host.restoreStarts(started);
      this.#backlog = false;
      this.#onError(error);
      this.wake.wake();
      return;
    }
    const got = claimed.run.length + claimed.handled.length;
    this.#backlog = got >= limit;
    this.host.accept(claimed);
    // A short batch means nothing more can run now; handled jobs may have inserted jobs to run.
    if (got < limit && claimed.handled.length === 0 && this.host.activity() === activityBefore) {
      if (!o.untilEmpty) await this.#wakeForRunAt();
      // Idle only if nothing happened meanwhile that may have made work claimable.
      if (this.host.activity() === activityBefore) {
        this.#idle = true;
        this.#idleSince = recordedBefore;
      }
    }
  }

  /** A cron drain reports the failure; a long-running worker backs off and waits for the database to return. */
  #onError(error: unknown): void {
    if (this.options.untilEmpty || isSchemaError(error)) {
      this.#failure = error;
      return;
    }
    this.#errors++;
    // Once at the start of an outage, then about every half minute while it lasts.
    if (this.#errors % 30 === 1) {
      this.options.logger.warn(`jobmaster worker: claiming jobs failed, retrying every second: ${(error as Error).message}`);
    }
    const backoff = retryDelayMs(this.#errors);
    this.#nextAt = performance.now() + backoff;
    this.wake.wakeAt(Date.now() + backoff);
  }

  /** Sets a timer for the earliest future run-at among the worker's tasks, so an idle worker starts it on time, not on the poll. */
  async #wakeForRunAt(): Promise<void> {
    try {
      const delayMs = await this.host.runAtDelayMs();
      if (delayMs !== null) this.wake.wakeAt(Date.now() + delayMs);
    } catch {
      // The poll still comes; claiming reports a lasting database failure.
    }
  }
}

/** The schema or one of its functions or tables is missing: no point in retrying. */
export function isSchemaError(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === '3F000' || code === '42883' || code === '42P01';
}
