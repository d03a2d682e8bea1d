import type { JobLogger } from '../registry/job-context.js';
import type { TaskDefinition } from '../registry/task-definition.js';
import { runJob, type JobResult } from './run-job.js';
import type { ClaimedJob } from './worker-events.js';

/**
 * The stop signal of one job, made only if the job's code reads it (most never do): an
 * abort before that is remembered and the signal starts aborted.
 */
export class JobStop {
  #controller: AbortController | null = null;
  #reason: Error | null = null;

  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#reason !== null) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: Error): void {
    if (this.#reason !== null) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

/** A job whose function this worker is running, with the means to stop it. */
export interface RunningJob {
  job: ClaimedJob;
  /** Aborts the JobContext signal: cancellation, a lost lease, or the end of the grace period. */
  stop: JobStop;
  /** `performance.now()` when the function was called. */
  startedAt: number;
  /** `performance.now()` when the function ended (absent while it runs, or when it did not run here). */
  endedAt?: number;
  /** Someone asked to cancel it (`jobs.cancel_requested`); it ends as 'cancelled'. */
  cancelRequested: boolean;
}

/**
 * The jobs this process is running: starts their functions, aborts their signals when a
 * heartbeat says they were cancelled or lost, and reports each one's end exactly once,
 * except for jobs it abandoned (lost, or given back at shutdown), whose ends are ignored.
 */
export class RunningJobs {
  readonly #jobs = new Map<string, RunningJob>();
  readonly #abandoned = new Set<string>();

  constructor(
    private readonly definitions: Map<string, TaskDefinition>,
    private readonly logger: JobLogger,
    private readonly onEnd: (running: RunningJob, result: JobResult) => void,
  ) {}

  get size(): number {
    return this.#jobs.size;
  }

  ids(): string[] {
    return [...this.#jobs.keys()];
  }

  /** Process units of the running jobs. */
  units(): number {
    let units = 0;
    for (const running of this.#jobs.values()) units += running.job.processUnits;
    return units;
  }

  /** Calls the job's function; `onEnd` hears how it ended. */
  start(job: ClaimedJob): RunningJob {
    const running: RunningJob = { job, stop: new JobStop(), startedAt: performance.now(), cancelRequested: false };
    this.#jobs.set(job.id, running);
    const definition = this.definitions.get(`${job.typeKey}.${job.taskKey}`);
    const result: Promise<JobResult> = definition
      ? runJob(definition, job, () => running.stop.signal, this.logger)
      : Promise.resolve({ ok: false, message: `task ${job.typeKey}.${job.taskKey} is not loaded in this worker`, stack: null });
    void result.then((r) => {
      running.endedAt = performance.now();
      this.#jobs.delete(job.id);
      if (!this.#abandoned.delete(job.id)) this.onEnd(running, r);
    });
    return running;
  }

  /**
   * Acts on a heartbeat's answer (`held`: job id -> cancel requested, for the ids `sent`):
   * aborts cancelled jobs, abandons the ones no longer held and returns those.
   */
  applyHeartbeat(sent: string[], held: Map<string, boolean>): RunningJob[] {
    const lost: RunningJob[] = [];
    for (const id of sent) {
      const running = this.#jobs.get(id);
      if (!running) continue;
      const cancel = held.get(id);
      if (cancel === undefined) {
        // Our lease lapsed (the database was unreachable too long): the queue took the job back.
        lost.push(running);
        this.#abandon(running, 'the job was lost: its lease lapsed and it went back to the queue');
      } else if (cancel && !running.cancelRequested) {
        running.cancelRequested = true;
        running.stop.abort(abortReason('the job was cancelled'));
      }
    }
    return lost;
  }

  /** Aborts and abandons every running job (shutdown after the grace period); returns them. */
  abandonAll(reason: string): RunningJob[] {
    const all = [...this.#jobs.values()];
    for (const running of all) this.#abandon(running, reason);
    return all;
  }

  #abandon(running: RunningJob, reason: string): void {
    this.#abandoned.add(running.job.id);
    this.#jobs.delete(running.job.id);
    running.stop.abort(abortReason(reason));
  }
}

function abortReason(message: string): Error {
  const error = new Error(message);
  error.name = 'AbortError';
  return error;
}
