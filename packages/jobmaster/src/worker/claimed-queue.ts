import type { ClaimedJob } from './worker-events.js';

/** How far ahead a worker claims: the jobs it would start within this many milliseconds at its recent pace. */
export const CLAIM_AHEAD_MS = 50;
/** At most this many claims in flight at once. */
export const MAX_CLAIMS_IN_FLIGHT = 2;

/** What the worker knows when it considers a claim. */
export interface ClaimState {
  /** Slots free to start jobs. */
  free: number;
  /** Jobs running now. */
  running: number;
  /** The node's process-unit budget. */
  budget: number;
  /** Claims in flight, and the jobs they asked for. */
  claims: number;
  claimsWant: number;
  /** The last claim came back full: there is probably more. */
  backlog: boolean;
}

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

  /** Process units of the queued jobs. */
  units(): number {
    let units = 0;
    for (let i = this.#head; i < this.#jobs.length; i++) units += this.#jobs[i]!.processUnits;
    return units;
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

  /**
   * How many jobs to claim now, or 0. With no claim in flight: what {@link wanted} asks for,
   * never more than the budget could hold (jobs take a unit or more; asking for more only
   * locks rows in vain). A second claim goes out beside the first only while a backlog keeps
   * returning full batches, for a full batch the budget could still hold: it waits in
   * PostgreSQL for the node's lock and starts the moment the first commits, instead of a
   * round trip later; a small or doomed one would only add a round trip.
   */
  nextClaim(s: ClaimState): number {
    if (s.claims >= MAX_CLAIMS_IN_FLIGHT || (s.claims > 0 && !s.backlog)) return 0;
    const want = Math.min(this.wanted(s.free, s.claimsWant, s.claims + 1), Math.max(s.free, s.budget));
    if (want <= 0 || s.claims === 0) return Math.max(want, 0);
    const held = s.running + this.size + s.claimsWant;
    return want >= this.maxBatch && held + want <= s.budget ? want : 0;
  }
}
