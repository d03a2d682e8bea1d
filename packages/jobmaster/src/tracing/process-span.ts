import type { ClaimedJob } from '../jobs/claim-jobs.js';
import { jobmasterTracer, messagingAttributes, otelApi, recordFailure } from './otel-api.js';

/** How one run of a job's function ended, as the span needs it. */
export type RunOutcome = { ok: true } | { ok: false; message: string; stack: string | null; errorType?: string };

/**
 * Runs one attempt of a job inside a CONSUMER span named `process {task}` (messaging semantic
 * conventions), the active span while the task's function runs, so spans the function makes
 * are its children. The span starts a trace of its own and is linked to the enqueue's span
 * (the trace context stored with the job) rather than made its child: jobs are claimed in
 * batches, may run hours after their enqueue, and run once per attempt, which the
 * conventions model with links. A failed attempt records the exception and sets status ERROR.
 * Without an OpenTelemetry SDK this is a plain call.
 */
export async function traceRun<T extends RunOutcome>(job: ClaimedJob, run: () => Promise<T>): Promise<T> {
  const api = otelApi();
  if (api === null) return await run();
  const task = `${job.typeKey}.${job.taskKey}`;
  const links = [];
  if (job.traceContext !== null) {
    const producer = api.trace.getSpanContext(api.propagation.extract(api.ROOT_CONTEXT, job.traceContext));
    if (producer !== undefined && api.isSpanContextValid(producer)) links.push({ context: producer });
  }
  const span = jobmasterTracer(api).startSpan(
    `process ${task}`,
    {
      kind: api.SpanKind.CONSUMER,
      links,
      attributes: {
        ...messagingAttributes('process', task),
        'messaging.message.id': job.id,
        'jobmaster.job.attempt': job.attempt,
        'jobmaster.job.max_attempts': job.maxAttempts,
      },
    },
    api.ROOT_CONTEXT,
  );
  try {
    const outcome = await api.context.with(api.trace.setSpan(api.ROOT_CONTEXT, span), run);
    if (!outcome.ok) recordFailure(api, span, { message: outcome.message, stack: outcome.stack, type: outcome.errorType });
    return outcome;
  } finally {
    span.end();
  }
}
