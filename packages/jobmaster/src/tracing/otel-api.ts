import type * as OtelApi from '@opentelemetry/api';
import { createRequire } from 'node:module';
import { lazyRequire } from '../util/lazy-require.js';

export type { OtelApi };

/** Where the OpenTelemetry API (major version 1) keeps what an SDK registered, shared by every copy of the API. */
const REGISTRATION = Symbol.for('opentelemetry.js.api.1');
const loadApi = lazyRequire<typeof OtelApi>('@opentelemetry/api');

/**
 * The OpenTelemetry API, or null while the application has registered nothing with it (no
 * SDK: tracing would be a no-op). JobMaster then skips tracing without even loading the API,
 * which would add about 15 ms to every `jm enqueue`.
 */
export function otelApi(): typeof OtelApi | null {
  return (globalThis as Record<symbol, unknown>)[REGISTRATION] === undefined ? null : loadApi();
}

let version: string | undefined;

/** JobMaster's tracer, named after the package ("jobmaster") and its version. */
export function jobmasterTracer(api: typeof OtelApi): OtelApi.Tracer {
  version ??= (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  return api.trace.getTracer('jobmaster', version);
}

/** Attributes every JobMaster span carries (OpenTelemetry messaging semantic conventions). */
export function messagingAttributes(operation: 'send' | 'process', task: string | null): OtelApi.Attributes {
  return {
    'messaging.system': 'jobmaster',
    'messaging.operation.name': operation,
    'messaging.operation.type': operation,
    ...(task !== null && { 'messaging.destination.name': task }),
  };
}

/** Marks a span failed: the exception recorded, status ERROR with the message, `error.type` set. */
export function recordFailure(
  api: typeof OtelApi,
  span: OtelApi.Span,
  failure: { message: string; stack?: string | null; type?: string | undefined },
): void {
  span.recordException({ name: failure.type ?? 'Error', message: failure.message, ...(failure.stack && { stack: failure.stack }) });
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: failure.message });
  span.setAttribute('error.type', failure.type ?? 'Error');
}
