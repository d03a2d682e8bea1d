import { isSchemaError } from './claim-stream.js';
import type { ClaimedQueue } from './claimed-queue.js';
import type { OutcomeWriter, RecordedOutcome } from './outcome-writer.js';
import type { JobResult } from './run-job.js';
import { JobStop, type RunningJobs, type RunningJob } from './running-jobs.js';
import { countEnd, countHandled, emptySummary, type TooLargeJob, type WorkerEvent, type WorkerSummary } from './worker-events.js';
import type { ClaimResult } from './worker-queries.js';

/** What a {@link JobFlow} moves jobs between, and whom it tells. */
export interface JobFlowParts {
  queue: ClaimedQueue;
  running: RunningJobs;
  writer: () => OutcomeWriter;
  concurrency: number;
  onEvent: (event: WorkerEvent) => void;
  /** Something happened that may make work claimable. */
  poke: () => void;
  /** A retry will be due at this time (a long-running worker looks again then). */
  retryDueAt: (at: Date) => void;
  stopping: () => boolean;
  /** Gives jobs this worker holds back to the queue (release_jobs); resolves with the ids released. */
  release: (ids: string[], message: string) => Promise<Set<string>>;
  /** Waiting jobs of this worker's tasks larger than its whole node budget (find_too_large_jobs). */
  findTooLarge: () => Promise<TooLargeJob[]>;
  budget: number;
}

/** How often a long-running worker looks for waiting jobs too large for its node. */
const TOO_LARGE_CHECK_MS = 60_000;

/**
 * A worker's jobs on their way through it: claimed jobs queue and start as slots free up,
 * finished ones go to the outcome writer, written outcomes and heartbeat answers are counted
 * in the summary and reported as events. Also keeps the starts of jobs claimed ahead that the
 * database has not counted yet (see claim_jobs), for the next claim or heartbeat to report.
 */
export class JobFlow {
  readonly summary: WorkerSummary = emptySummary();
  /** Outcomes written so far. */
  recorded = 0;
  /** Claimed jobs held ahead whose attempt the database has not counted (see claim_jobs). */
  readonly #held = new Set<string>();
  /**
   * Held jobs started since the last report to the database (with a claim or heartbeat) and
   * still running: a job whose outcome is on its way leaves this set, as the outcome counts its
   * attempt in the same write (complete_jobs, fail_jobs, ...). A no-op job then costs one row
   * update fewer; the window in which a crash loses the count is the same as before.
   */
  #starts = new Set<string>();
  #lastTooLargeCheck = -Infinity;

  constructor(private readonly parts: JobFlowParts) {}

  /** A claim's jobs: those to run join the queue and start as slots allow; those the database handled are counted. */
  accept(claimed: ClaimResult): void {
    for (const h of claimed.handled) {
      countHandled(this.summary, h.action, h.spawned);
      this.parts.onEvent({ type: 'job-handled', jobId: h.id, task: h.task, action: h.action, message: h.message });
    }
    for (const id of claimed.held) this.#held.add(id);
    this.parts.queue.push(claimed.run);
    this.startQueued();
  }

  /** The held starts to report now; given back with `restoreStarts` when the report failed. */
  takeStarts(): string[] {
    const starts = [...this.#starts];
    this.#starts.clear();
    return starts;
  }

  restoreStarts(ids: string[]): void {
    for (const id of ids) this.#starts.add(id);
  }

  /** Starts queued jobs while slots are free. */
  startQueued(): void {
    const { queue, running } = this.parts;
    while (!this.parts.stopping() && running.size < this.parts.concurrency) {
      const job = queue.take();
      if (!job) return;
      this.summary.ran++;
      if (this.#held.delete(job.id)) this.#starts.add(job.id);
      running.start(job);
      this.parts.onEvent({ type: 'job-start', job });
    }
  }

  /** A job's function returned or threw: its outcome goes to the writer. */
  finished(running: RunningJob, result: JobResult): void {
    this.parts.queue.recordDuration(performance.now() - running.startedAt);
    this.#starts.delete(running.job.id);
    this.startQueued();
    this.parts.poke();
    const writer = this.parts.writer();
    if (running.cancelRequested) {
      writer.add({ job: running, kind: 'cancelled', message: `cancelled while running (attempt ${running.job.attempt})` });
    } else if (result.ok) {
      writer.add({ job: running, kind: 'complete', json: result.json });
    } else {
      writer.add({ job: running, kind: 'failed', message: result.message, stack: result.stack });
    }
  }

  /** The database recorded an outcome. */
  recordedOutcome(r: RecordedOutcome): void {
    this.recorded++;
    countEnd(this.summary, r.status);
    if (r.status === 'retrying' && r.retryAt) this.parts.retryDueAt(r.retryAt);
    this.parts.onEvent({
      type: 'job-end',
      job: r.job.job,
      status: r.status,
      durationMs: Math.round(performance.now() - r.job.startedAt),
      ...(r.job.endedAt !== undefined && { runMs: r.job.endedAt - r.job.startedAt }),
      ...(r.message !== undefined && { message: r.message }),
      ...(r.retryAt !== undefined && { retryAt: r.retryAt }),
    });
    this.parts.poke();
  }

  /** At shutdown: jobs claimed ahead but never started go back to the queue at once, without counting an attempt. */
  async releaseQueued(message: string): Promise<void> {
    const queued = this.parts.queue.takeAll().map((j) => j.id);
    if (queued.length > 0) await this.parts.release(queued, message).catch(() => {});
  }

  /** At shutdown, after the grace period: jobs still running are stopped and given back, each reported released. */
  async releaseRunning(message: string, reason: string): Promise<void> {
    const left = this.parts.running.abandonAll(reason);
    if (left.length === 0) return;
    const released = await this.parts
      .release(
        left.map((r) => r.job.id),
        message,
      )
      .catch(() => new Set<string>());
    this.summary.released += released.size;
    for (const r of left) {
      this.parts.onEvent({ type: 'job-end', job: r.job, status: 'released', durationMs: Math.round(performance.now() - r.startedAt) });
    }
  }

  /**
   * Looks for waiting jobs too large for the node's whole budget (they can never run here),
   * keeps them in the summary and reports them. A schema error stops the worker; others wait
   * for the next look.
   */
  async checkTooLarge(): Promise<void> {
    try {
      const tooLarge = await this.parts.findTooLarge();
      this.summary.tooLarge = tooLarge;
      if (tooLarge.length > 0) this.parts.onEvent({ type: 'too-large', jobs: tooLarge, budget: this.parts.budget });
    } catch (error) {
      if (isSchemaError(error)) throw error;
    }
  }

  /** {@link checkTooLarge} when a minute has passed since the last look (a long-running worker's loop calls this). */
  async checkTooLargeEveryMinute(): Promise<void> {
    if (performance.now() - this.#lastTooLargeCheck <= TOO_LARGE_CHECK_MS) return;
    this.#lastTooLargeCheck = performance.now();
    await this.checkTooLarge();
  }

  /** A heartbeat's answer: jobs no longer held are lost; cancellations reach running and queued jobs. */
  afterHeartbeat(sent: string[], held: Map<string, boolean>): void {
    this.#queuedHeartbeat(sent, held);
    for (const lost of this.parts.running.applyHeartbeat(sent, held)) {
      countEnd(this.summary, 'lost');
      this.parts.onEvent({ type: 'job-end', job: lost.job, status: 'lost', durationMs: Math.round(performance.now() - lost.startedAt) });
    }
    this.parts.poke();
  }

  /** Queued jobs no longer held are dropped; queued jobs someone cancelled end as cancelled without running. */
  #queuedHeartbeat(sent: string[], held: Map<string, boolean>): void {
    if (this.parts.queue.size === 0) return;
    const gone = new Set(sent.filter((id) => held.get(id) !== false));
    if (gone.size === 0) return;
    for (const job of this.parts.queue.remove(gone)) {
      this.#held.delete(job.id);
      if (held.has(job.id)) {
        const running: RunningJob = { job, stop: new JobStop(), startedAt: performance.now(), cancelRequested: true };
        this.parts.writer().add({ job: running, kind: 'cancelled', message: `cancelled before it started (attempt ${job.attempt})` });
      } else {
        countEnd(this.summary, 'lost');
        this.parts.onEvent({ type: 'job-end', job, status: 'lost', durationMs: 0 });
      }
    }
  }
}
