import { jobmasterTracer, messagingAttributes, otelApi, recordFailure } from './otel-api.js';

/** An OpenTelemetry carrier: the propagated trace context as header-like fields (`traceparent`, `tracestate`). */
export type TraceCarrier = Record<string, string>;

/** A carrier as the SQL functions take it (a jsonb parameter), or null. */
export function carrierJson(traceContext: TraceCarrier | null): string | null {
  return traceContext === null ? null : JSON.stringify(traceContext);
}

/**
 * Runs an enqueue inside a PRODUCER span named `send {task}` (`send` alone for a batch of
 * several tasks), per the messaging semantic conventions, and hands `send` the span's trace
 * context to store with the jobs (`tasks` names the jobs' tasks, read only when tracing) (null when nothing is traced, or no propagator is
 * registered). `ids` reads the job ids from the result: one job's id becomes
 * `messaging.message.id`; a batch records `messaging.batch.message_count`. A failure is
 * recorded on the span and rethrown. Without an OpenTelemetry SDK this is a plain call.
 */
export async function traceEnqueue<T>(
  tasks: () => readonly string[],
  send: (traceContext: TraceCarrier | null) => Promise<T>,
  ids: (result: T) => readonly string[],
): Promise<T> {
  const api = otelApi();
  if (api === null) return await send(null);
  const names = tasks();
  const distinct = [...new Set(names)];
  const task = distinct.length === 1 ? distinct[0]! : null;
  const span = jobmasterTracer(api).startSpan(task === null ? 'send' : `send ${task}`, {
    kind: api.SpanKind.PRODUCER,
    attributes: { ...messagingAttributes('send', task), ...(names.length > 1 && { 'messaging.batch.message_count': names.length }) },
  });
  const context = api.trace.setSpan(api.context.active(), span);
  const carrier: TraceCarrier = {};
  api.propagation.inject(context, carrier);
  try {
    const result = await api.context.with(context, () => send(Object.keys(carrier).length > 0 ? carrier : null));
    const jobIds = ids(result);
    if (jobIds.length === 1) span.setAttribute('messaging.message.id', jobIds[0]!);
    return result;
  } catch (error) {
    const e = error as { message?: string; stack?: string; code?: string; name?: string };
    recordFailure(api, span, { message: e.message ?? String(error), stack: e.stack ?? null, type: e.code ?? e.name });
    throw error;
  } finally {
    span.end();
  }
}
