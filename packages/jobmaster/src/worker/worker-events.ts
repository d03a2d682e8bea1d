import type { AlertSummary } from '../alerts/alert-delivery.js';
import type { ClaimedJob } from '../jobs/claim-jobs.js';
import type { TooLargeJob } from '../jobs/find-too-large-jobs.js';

export type { ClaimedJob, TooLargeJob };

/** How one job ended in this worker. */
export type JobEndStatus = 'complete' | 'retrying' | 'failed' | 'cancelled' | 'released' | 'lost';

/**
 * What a worker reports as it goes, for logs and dashboards (`onEvent`).
 * - `job-start`: a job's function was called.
 * - `job-end`: its outcome was recorded (`message` for failures and cancellations; `retryAt`,
 *   when the next attempt may start, for a failure that will be retried).
 * - `job-handled`: a claimed job that did not run its function: fanned out, sent back to
 *   wait for dependencies, or failed before running (dependency cap, bad dependency).
 * - `too-large`: waiting jobs whose process units exceed the whole node budget.
 * - `connection`: the LISTEN connection was lost or restored.
 * - `claim`: one claim round trip took `durationMs` and returned `jobs` jobs (to run or handled).
 * - `metrics`: the worker serves its Prometheus metrics at `url` (option `metricsPort`).
 *
 * `job-end` carries `runMs`, how long the function ran, for jobs whose function ended here.
 */
export type WorkerEvent =
  | { type: 'job-start'; job: ClaimedJob }
  | { type: 'job-end'; job: ClaimedJob; status: JobEndStatus; durationMs: number; runMs?: number; message?: string; retryAt?: Date }
  | { type: 'job-handled'; jobId: string; task: string; action: 'fanned_out' | 'waiting' | 'failed'; message: string }
  | { type: 'too-large'; jobs: TooLargeJob[]; budget: number }
  | { type: 'connection'; state: 'lost' | 'restored'; message: string }
  | { type: 'claim'; durationMs: number; jobs: number }
  | { type: 'metrics'; url: string };

/** What a worker did, returned by `run()` (the summary `jm run --until-empty` prints). */
export interface WorkerSummary {
  /** Jobs whose function this worker called. */
  ran: number;
  /** Of those, completed. */
  completed: number;
  /** Jobs that failed for good here (after their last attempt, or before running: dependency cap, bad dependency). */
  failed: number;
  /** Failed attempts that will be retried after a backoff. */
  retried: number;
  /** Running jobs stopped because someone cancelled them. */
  cancelled: number;
  /** Write-all jobs expanded into their combinations. */
  fannedOut: number;
  /** Jobs inserted by this worker: fan-out children and missing dependency jobs. */
  spawned: number;
  /** Times a claimed job went back to waiting for its dependencies. */
  waitingForDependencies: number;
  /** Running jobs given back to the queue at shutdown, or lost because their lease lapsed. */
  released: number;
  /** Waiting jobs of this worker's tasks larger than the whole node budget (they can never run here). */
  tooLarge: TooLargeJob[];
  /** Wall-clock milliseconds from start to stop. */
  durationMs: number;
  /** What its failure-alert delivery did; absent when it had no alert destination. */
  alerts?: AlertSummary;
}

/** A summary with every count at zero. */
export function emptySummary(): WorkerSummary {
  return {
    ran: 0,
    completed: 0,
    failed: 0,
    retried: 0,
    cancelled: 0,
    fannedOut: 0,
    spawned: 0,
    waitingForDependencies: 0,
    released: 0,
    tooLarge: [],
    durationMs: 0,
  };
}

/** Counts a claimed job the database handled itself. */
export function countHandled(summary: WorkerSummary, action: 'fanned_out' | 'waiting' | 'failed', spawned: number): void {
  summary.spawned += spawned;
  if (action === 'fanned_out') summary.fannedOut++;
  else if (action === 'waiting') summary.waitingForDependencies++;
  else summary.failed++;
}

/** Counts how a job the worker ran ended. */
export function countEnd(summary: WorkerSummary, status: JobEndStatus): void {
  if (status === 'complete') summary.completed++;
  else if (status === 'failed') summary.failed++;
  else if (status === 'retrying') summary.retried++;
  else if (status === 'cancelled') summary.cancelled++;
  else summary.released++;
}
