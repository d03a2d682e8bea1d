import { InvalidArgumentsError } from '../errors.js';
import { argumentsFromJsonText, argumentsJson } from './arguments-json.js';
import { checkRunAt } from './run-at.js';
import type { JsonValue } from '../registry/task-definition.js';

/** One job to put on the queue. */
export interface JobRequest {
  typeKey: string;
  taskKey: string;
  /** Named arguments; validated in the database against the deployed registry. */
  args?: Record<string, JsonValue>;
  /**
   * The arguments as JSON text instead of `args`, handed to the database as written: numbers
   * are not rounded through a JavaScript number on the way (the CLI's `--json`). (Default: none)
   */
  argumentsJson?: string;
  /** Higher runs first. (Default: 0) */
  priority?: number;
  /** Not before this time, in the years 1 to 9999. (Default: now) */
  runAt?: Date;
  /**
   * A name you choose for the job, unique among the task's waiting and running jobs (1 to 255
   * characters). While a job with this key waits or runs, `onConflict` decides what another
   * enqueue with the key does; once it finishes, the key is free. A keyed job is identified
   * by its key alone: the identical-arguments rule does not apply to it. (Default: none)
   */
  jobKey?: string;
  /** What to do when `jobKey` is held by a waiting or running job; see {@link OnConflict}. (Default: 'raise') */
  onConflict?: OnConflict;
}

/**
 * What an enqueue with a job key does when a waiting or running job of the task holds the key:
 * - `'raise'`: fail with `JobKeyConflictError` (carrying the existing job's id and status).
 * - `'ignore'`: return the existing job's id, changing nothing.
 * - `'replace'`: a waiting job takes the new arguments, priority and run-at (and starts its
 *   attempts afresh). A running job cannot change: it finishes as it is, without further
 *   retries, and a new job holding the key is inserted (as graphile-worker does for a locked job).
 */
export type OnConflict = 'raise' | 'ignore' | 'replace';

/** The conflict modes, for validating input. */
export const ON_CONFLICT_MODES: readonly OnConflict[] = ['raise', 'ignore', 'replace'];

/**
 * What an enqueue did: `'inserted'` a new job; `'identical'` found an identical unkeyed job
 * waiting or running; `'existing'` found the key held (`ignore`); `'replaced'` updated the
 * waiting job holding the key; `'superseded'` inserted a new job because the one holding the
 * key was running.
 */
export type EnqueueOutcome = 'inserted' | 'identical' | 'existing' | 'replaced' | 'superseded';

/** The outcome of one enqueue. */
export interface EnqueueResult {
  /** The job's id: new, or that of the existing job (see `outcome`). */
  id: string;
  /** True when a new job row was inserted. */
  inserted: boolean;
  /** What happened, in detail. */
  outcome: EnqueueOutcome;
}

/** Priorities are PostgreSQL integers; a dependency inserted for a job at the top goes in at the top too. */
const PRIORITY_MIN = -2_147_483_648;
const PRIORITY_MAX = 2_147_483_647;

/** A request after its checks, in the form the SQL takes. */
export interface CheckedRequest {
  args: string;
  priority: number;
  runAt: string | null;
  jobKey: string | null;
  onConflict: OnConflict;
}

export function checkRequest(job: JobRequest): CheckedRequest {
  const task = `${job.typeKey}.${job.taskKey}`;
  const priority = job.priority ?? 0;
  if (!Number.isInteger(priority) || priority < PRIORITY_MIN || priority > PRIORITY_MAX) {
    throw new InvalidArgumentsError(
      `${task}: priority must be an integer between ${PRIORITY_MIN} and ${PRIORITY_MAX}, got ${String(priority)}`,
      { task, value: priority },
    );
  }
  // Exact JSON text, or a refusal naming the parameter; the rules themselves run in the database.
  const text = job.argumentsJson !== undefined ? argumentsFromJsonText(task, job.argumentsJson) : argumentsJson(task, job.args);
  let runAt: string | null = null;
  if (job.runAt !== undefined) {
    runAt = checkRunAt(task, job.runAt).toISOString();
  }
  const jobKey = job.jobKey ?? null;
  if (jobKey !== null && (typeof jobKey !== 'string' || jobKey.length === 0 || jobKey.length > 255)) {
    throw new InvalidArgumentsError(
      `${task}: jobKey must be a string of 1 to 255 characters, got ${JSON.stringify(jobKey)?.slice(0, 60) ?? String(jobKey)}`,
      { task, value: jobKey },
    );
  }
  const onConflict = job.onConflict ?? 'raise';
  if (!ON_CONFLICT_MODES.includes(onConflict)) {
    throw new InvalidArgumentsError(
      `${task}: onConflict must be "raise", "ignore" or "replace", got ${JSON.stringify(onConflict)?.slice(0, 60) ?? String(onConflict)}`,
      { task, value: onConflict },
    );
  }
  return { args: text, priority, runAt, jobKey, onConflict };
}

/** A row of `enqueue` / `enqueue_many`. */
export type ResultRow = { job_id: string; inserted: boolean; outcome: EnqueueOutcome };
/** The row as the SDK returns it. */
export const toResult = (row: ResultRow): EnqueueResult => ({ id: String(row.job_id), inserted: row.inserted, outcome: row.outcome });
