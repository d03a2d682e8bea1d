import { retryDelayMs } from './retry-delay.js';
import type { RunningJob } from './running-jobs.js';
import type { JobEndStatus } from './worker-events.js';
import type { WorkerQueries } from './worker-queries.js';

type CompleteOutcome = { job: RunningJob; kind: 'complete'; json: string };
type FailedOutcome = { job: RunningJob; kind: 'failed'; message: string; stack: string | null };
type CancelledOutcome = { job: RunningJob; kind: 'cancelled'; message: string };

/** A finished job waiting to be written. */
export type Outcome = CompleteOutcome | FailedOutcome | CancelledOutcome;

/** What the database made of one outcome. */
export interface RecordedOutcome {
  job: RunningJob;
  status: JobEndStatus;
  message?: string;
  /** For a retry: when it may start. */
  retryAt?: Date;
}

/** At most this many writes in flight at once. */
export const MAX_WRITES_IN_FLIGHT = 2;
/** A second write goes out beside the first only for at least this many outcomes. */
export const SECOND_WRITE_MIN = 64;

/**
 * Collects job outcomes and writes them in batches: while a write is in flight the next
 * outcomes accumulate, so a busy worker sends few large `complete_jobs` / `fail_jobs` calls
 * and an idle one writes a single outcome at once. When enough accumulate (SECOND_WRITE_MIN)
 * a second write goes out beside the first, on its own connection, as another worker's would:
 * advancing workflow runs makes a completion write several times a plain one's, and one
 * write at a time left a core idle while the outcomes queued behind it. A failed write is
 * retried with backoff (the heartbeat keeps renewing the leases of jobs waiting here
 * meanwhile).
 */
export class OutcomeWriter {
  #buffer: Outcome[] = [];
  /** Writes in flight. */
  #flushing = 0;
  #scheduled = false;
  #failures = 0;
  #retryDelay = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(
    private readonly queries: WorkerQueries,
    private readonly workerId: string,
    private readonly maxBatch: number,
    private readonly onRecorded: (outcome: RecordedOutcome) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Queues an outcome; it is written within a round trip or two. */
  add(outcome: Outcome): void {
    this.#buffer.push(outcome);
    this.#schedule();
  }

  /** Ids of jobs finished here but not yet written (their leases must still be renewed). */
  pendingIds(): string[] {
    return this.#buffer.map((o) => o.job.job.id);
  }

  /** Resolves once every queued outcome has been written. */
  async idle(): Promise<void> {
    if (this.#buffer.length === 0 && this.#flushing === 0 && !this.#scheduled) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Forgets queued outcomes (their jobs were released or lost). */
  discard(): Outcome[] {
    const dropped = this.#buffer;
    this.#buffer = [];
    this.#wakeIdle();
    return dropped;
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing >= MAX_WRITES_IN_FLIGHT) return;
    if (this.#flushing > 0 && (this.#buffer.length < SECOND_WRITE_MIN || this.#retryDelay > 0)) return;
    this.#scheduled = true;
    const run = (): void => {
      this.#scheduled = false;
      this.#flushing++;
      void this.#flush().finally(() => {
        this.#flushing--;
        if (this.#buffer.length > 0) this.#schedule();
        else this.#wakeIdle();
      });
    };
    // Outcomes of jobs that finish in the same turn of the event loop share one write.
    if (this.#retryDelay > 0) setTimeout(run, this.#retryDelay);
    else setImmediate(run);
  }

  #wakeIdle(): void {
    if (this.#buffer.length > 0 || this.#flushing > 0 || this.#scheduled) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  async #flush(): Promise<void> {
    const batch = this.#buffer.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    const completes = batch.filter((o): o is CompleteOutcome => o.kind === 'complete');
    const failures = batch.filter((o): o is FailedOutcome => o.kind === 'failed');
    const cancels = batch.filter((o): o is CancelledOutcome => o.kind === 'cancelled');
    // Each kind is written on its own connection; a kind whose write failed is queued again alone.
    const results = await Promise.allSettled([this.#complete(completes), this.#fail(failures), this.#cancel(cancels)]);
    const errors = results.flatMap((r, i) =>
      r.status === 'rejected' ? [{ error: r.reason as unknown, outcomes: [completes, failures, cancels][i]! }] : [],
    );
    if (errors.length === 0) {
      this.#failures = 0;
      this.#retryDelay = 0;
      return;
    }
    for (const e of errors) this.#buffer.unshift(...e.outcomes);
    this.#retryDelay = retryDelayMs(++this.#failures);
    this.onError(errors[0]!.error);
  }

  async #complete(outcomes: CompleteOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    const { lost, refused } = await this.queries.complete(
      this.workerId,
      outcomes.map((o) => ({ id: o.job.job.id, json: o.json })),
    );
    for (const o of outcomes) {
      const id = o.job.job.id;
      if (lost.has(id)) this.onRecorded({ job: o.job, status: 'lost', message: LOST });
      else if (refused.has(id)) this.onRecorded({ job: o.job, status: 'failed', message: refused.get(id)! });
      else this.onRecorded({ job: o.job, status: 'complete' });
    }
  }

  async #fail(outcomes: FailedOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    const rows = await this.queries.fail(
      this.workerId,
      outcomes.map((o) => ({ id: o.job.job.id, message: o.message, stack: o.stack })),
    );
    for (const o of outcomes) {
      const row = rows.get(o.job.job.id);
      const message = o.message;
      if (row === undefined) this.onRecorded({ job: o.job, status: 'lost', message: LOST });
      else if (row.final) this.onRecorded({ job: o.job, status: 'failed', message });
      else this.onRecorded({ job: o.job, status: 'retrying', message, retryAt: row.runAt });
    }
  }

  async #cancel(outcomes: CancelledOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    const message = outcomes[0]!.message;
    const done = await this.queries.cancel(
      this.workerId,
      outcomes.map((o) => o.job.job.id),
      message,
    );
    for (const o of outcomes) {
      this.onRecorded(
        done.has(o.job.job.id) ? { job: o.job, status: 'cancelled', message } : { job: o.job, status: 'lost', message: LOST },
      );
    }
  }
}

const LOST = 'its lease lapsed before the outcome was written; the job went back to the queue';
