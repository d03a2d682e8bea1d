import { JobContext, type JobLogger } from '../registry/job-context.js';
import type { JsonValue, TaskDefinition } from '../registry/task-definition.js';
import { traceRun } from '../tracing/process-span.js';
import type { ClaimedJob } from './worker-events.js';

/** What calling a job's function produced: its result as JSON text, or the error it threw (`errorType`: its class name). */
export type JobResult = { ok: true; json: string } | { ok: false; message: string; stack: string | null; errorType?: string };

/**
 * Calls the task's function for one claimed job, with a JobContext (also reachable through
 * `currentJob()`), and turns whatever happens into a JobResult; never throws. The return
 * value becomes the job's result (undefined is stored as null); a value JSON cannot hold
 * fails the attempt with a message saying so. The call is traced when the application has an
 * OpenTelemetry SDK (see traceRun).
 */
export async function runJob(
  definition: TaskDefinition,
  job: ClaimedJob,
  signal: () => AbortSignal,
  logger: JobLogger,
): Promise<JobResult> {
  return await traceRun(job, () => callTask(definition, job, signal, logger));
}

async function callTask(definition: TaskDefinition, job: ClaimedJob, signal: () => AbortSignal, logger: JobLogger): Promise<JobResult> {
  const args = job.arguments as Record<string, JsonValue>;
  const context = new JobContext({
    jobId: job.id,
    attempt: job.attempt,
    signal,
    logger: () => prefixed(logger, `[${job.typeKey}.${job.taskKey} job ${job.id}]`),
    typeKey: job.typeKey,
    taskKey: job.taskKey,
    arguments: args,
  });
  let value: unknown;
  try {
    value = await definition.invoke(args, context);
  } catch (error) {
    return describeThrow(error);
  }
  return serialise(value);
}

function serialise(value: unknown): JobResult {
  let json: string | undefined;
  try {
    json = value === undefined ? 'null' : JSON.stringify(value);
  } catch (error) {
    return { ok: false, message: `the task's return value is not JSON-serialisable: ${(error as Error).message}`, stack: null };
  }
  if (json === undefined) {
    return {
      ok: false,
      message: `the task returned a ${typeof value}, which JSON cannot hold: return a JSON value or nothing`,
      stack: null,
    };
  }
  return { ok: true, json };
}

function describeThrow(error: unknown): JobResult {
  if (error instanceof Error) return { ok: false, message: error.message || error.name, stack: error.stack ?? null, errorType: error.name };
  let text: string;
  try {
    text = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    text = String(error);
  }
  return { ok: false, message: `the task threw a non-Error value: ${text}`, stack: null };
}

function prefixed(logger: JobLogger, prefix: string): JobLogger {
  return {
    info: (message, ...details) => logger.info(`${prefix} ${message}`, ...details),
    warn: (message, ...details) => logger.warn(`${prefix} ${message}`, ...details),
    error: (message, ...details) => logger.error(`${prefix} ${message}`, ...details),
  };
}
