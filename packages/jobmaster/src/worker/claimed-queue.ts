import type { ClaimedJob } from './worker-events.js';

/** How far ahead a worker claims: the jobs it would start within this many milliseconds at its recent pace. */
export const CLAIM_AHEAD_MS = 50;

/**
 * Jobs claimed but not started yet: the worker claims a little ahead of its free slots so
 * the next jobs are at hand when slots free up, instead of paying a claim round trip per
 * handful of jobs. How far ahead follows the pace of recent jobs: only what the worker would
 * start within {@link CLAIM_AHEAD_MS}, so slow jobs are never held back from other workers
 * (one-second jobs: nothing ahead; no-op jobs: a full claim batch, two while a second claim
 * is in flight). Queued jobs are 'running' in the database (their units count against the
 * node's budget and their leases are renewed); at shutdown they are given back without
 * counting an attempt.
 */
export class ClaimedQueue {
  #jobs: ClaimedJob[] = [];
  #head = 0;
  /** Moving average of how long recent jobs ran, in ms (NaN until one has finished). */
  #averageMs = Number.NaN;

  constructor(
    private readonly concurrency: number,
    private readonly maxBatch: number,
  ) {}

  get size(): number {
    return this.#jobs.length - this.#head;
  }

  ids(): string[] {
    return this.#jobs.slice(this.#head).map((j) => j.id);
  }

  push(jobs: ClaimedJob[]): void {
    if (this.#head > 0) {
      this.#jobs = this.#jobs.slice(this.#head);
      this.#head = 0;
    }
    this.#jobs.push(...jobs);
  }

  /** The next job to start, in claim order (priority, then age). */
  take(): ClaimedJob | undefined {
    if (this.#head >= this.#jobs.length) return undefined;
    const job = this.#jobs[this.#head]!;
    this.#jobs[this.#head++] = undefined as never;
    return job;
  }

  /** Removes and returns every queued job (shutdown). */
  takeAll(): ClaimedJob[] {
    const all = this.#jobs.slice(this.#head);
    this.#jobs = [];
    this.#head = 0;
    return all;
  }

  /** Removes the jobs with these ids (lost or cancelled before they started); returns them. */
  remove(ids: Set<string>): ClaimedJob[] {
    const kept: ClaimedJob[] = [];
    const removed: ClaimedJob[] = [];
    for (const job of this.#jobs.slice(this.#head)) (ids.has(job.id) ? removed : kept).push(job);
    this.#jobs = kept;
    this.#head = 0;
    return removed;
  }

  /** Notes how long a job ran. */
  recordDuration(ms: number): void {
    this.#averageMs = Number.isNaN(this.#averageMs) ? ms : this.#averageMs * 0.9 + ms * 0.1;
  }

  /**
   * Jobs to hold beyond the free slots at the recent pace (0 before any job has finished):
   * at most a batch per claim in flight.
   */
  ahead(claims = 1): number {
    if (Number.isNaN(this.#averageMs)) return 0;
    const perWindow = (this.concurrency * CLAIM_AHEAD_MS) / Math.max(this.#averageMs, 0.01);
    return Math.min(this.maxBatch * claims, Math.floor(perWindow));
  }

  /**
   * How many jobs to claim now with `free` slots open and `inFlight` jobs already asked for
   * by claims on their way (this one making `claims` of them): enough to fill the slots and
   * restore the claim-ahead, at most a batch; 0 while the queue and those claims still hold
   * more than half the target.
   */
  wanted(free: number, inFlight = 0, claims = 1): number {
    const ahead = this.ahead(claims);
    const held = this.size + inFlight;
    const want = Math.min(this.maxBatch, free + ahead - held);
    if (want <= 0) return 0;
    if (free <= held && held > ahead / 2) return 0;
    return want;
  }
}
