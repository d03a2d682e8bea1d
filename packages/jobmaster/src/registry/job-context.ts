import { AsyncLocalStorage } from 'node:async_hooks';
import type { JsonValue, TaskInvocationContext } from './task-definition.js';

/** Where a running task writes its log lines. */
export interface JobLogger {
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

/** What the worker knows about a job when it starts an attempt; the input of `new JobContext()`. */
export interface JobContextInit {
  jobId: string;
  /** 1 for the first attempt. (Default: 1) */
  attempt?: number;
  /**
   * Aborted when the worker shuts down or the job is cancelled; a function is called the
   * first time the signal is read. (Default: a signal that never aborts)
   */
  signal?: AbortSignal | (() => AbortSignal);
  /**
   * (Default: console, each line prefixed with the task and job id; a function is called the
   * first time the logger is used)
   */
  logger?: JobLogger | (() => JobLogger);
  typeKey?: string;
  taskKey?: string;
  /** The job's arguments after defaults were filled. (Default: {}) */
  arguments?: Record<string, JsonValue>;
}

// Brands survive the case where a task module and the CLI hold two copies of this module.
/** @internal */
export const CONTEXT_BRAND: unique symbol = Symbol.for('jobmaster.JobContext') as never;
const STORAGE_KEY = Symbol.for('jobmaster.jobContextStorage');

/**
 * The running job, handed to a task that declares a last parameter of type `JobContext`
 * (that parameter is not a task parameter: jobs never pass it) and returned by
 * {@link currentJob} anywhere inside the task's call.
 *
 * @example
 * ```ts
 * class Files {
 *   @task()
 *   static async copy(from: string, to: string, job: JobContext) {
 *     job.logger.info(`attempt ${job.attempt}`);
 *     await copyFile(from, to, { signal: job.signal });
 *   }
 * }
 * ```
 */
export class JobContext implements TaskInvocationContext {
  static readonly [CONTEXT_BRAND] = true;
  /** Id of the job being run. */
  readonly jobId: string;
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  // The signal and the logger are made when first read: most tasks use neither, and a
  // worker starts tens of thousands of jobs a second.
  #signal: AbortSignal | (() => AbortSignal) | undefined;
  #logger: JobLogger | (() => JobLogger) | undefined;
  /** Type key of the running task, or null when not known. */
  readonly typeKey: string | null;
  /** Task key of the running task, or null when not known. */
  readonly taskKey: string | null;
  /** The job's arguments, defaults filled. */
  readonly arguments: Readonly<Record<string, JsonValue>>;

  constructor(init: JobContextInit) {
    this.jobId = init.jobId;
    this.attempt = init.attempt ?? 1;
    this.#signal = init.signal;
    this.typeKey = init.typeKey ?? null;
    this.taskKey = init.taskKey ?? null;
    this.arguments = init.arguments ?? {};
    this.#logger = init.logger;
  }

  /** Aborted when the job should stop (shutdown grace period over, job cancelled). */
  get signal(): AbortSignal {
    if (typeof this.#signal !== 'object') this.#signal = this.#signal?.() ?? new AbortController().signal;
    return this.#signal;
  }

  /** Log lines for this job. */
  get logger(): JobLogger {
    if (typeof this.#logger !== 'object') {
      this.#logger = this.#logger?.() ?? prefixedConsole(`[${this.typeKey ?? '?'}.${this.taskKey ?? '?'} job ${this.jobId}]`);
    }
    return this.#logger;
  }

  /** True for a JobContext made by any copy of this module (task modules may hold their own copy). */
  static isJobContext(value: unknown): value is JobContext {
    return typeof value === 'object' && value !== null && isJobContextClass(value.constructor);
  }
}

/** True when `value` is the JobContext class (from any copy of this module). */
export function isJobContextClass(value: unknown): boolean {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[CONTEXT_BRAND] === true;
}

function prefixedConsole(prefix: string): JobLogger {
  return {
    info: (message, ...details) => console.info(prefix, message, ...details),
    warn: (message, ...details) => console.warn(prefix, message, ...details),
    error: (message, ...details) => console.error(prefix, message, ...details),
  };
}

function storage(): AsyncLocalStorage<JobContext> {
  const holder = globalThis as unknown as Record<symbol, AsyncLocalStorage<JobContext> | undefined>;
  return (holder[STORAGE_KEY] ??= new AsyncLocalStorage<JobContext>());
}

/**
 * Runs `fn` with `context` as the current job, so {@link currentJob} returns it anywhere
 * in `fn`'s synchronous and asynchronous call tree. `TaskDefinition.invoke` already does
 * this; call it yourself only to run task code outside `invoke`.
 */
export function runWithJobContext<T>(context: JobContext, fn: () => T): T {
  return storage().run(context, fn);
}

/**
 * The job whose task is running in the current async call tree, for code that the task
 * calls without passing a context along. Throws when called outside a running job
 * (use {@link currentJobOrNull} to test).
 */
export function currentJob(): JobContext {
  const context = storage().getStore();
  if (context === undefined) throw new Error('currentJob() was called outside a running job');
  return context;
}

/** The running job, or null when called outside one. */
export function currentJobOrNull(): JobContext | null {
  return storage().getStore() ?? null;
}
