// OpenTelemetry: with an SDK installed by the application (here an in-memory exporter), an
// enqueue is a PRODUCER span `send {task}` whose trace context travels with the job, and each
// run a CONSUMER span `process {task}` linked to it, with a failure recorded on the span.
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { JobMaster, defineWorkflow, loadTaskModules, registry, runWorker } from 'jobmaster';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { REPO_ROOT, dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';
import { deployTasks } from '../worker/worker-harness.js';

const db = useTestDatabase('obst');
const exporter = new InMemorySpanExporter();
let jobmaster: JobMaster;

beforeAll(async () => {
  await deployTasks(db, ['--tasks', 'test/fixtures/observability/metered.ts']);
  await loadTaskModules(['test/fixtures/observability/metered.ts'], { cwd: REPO_ROOT });
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  jobmaster = new JobMaster({ pool: db.pool, schema: db.schema });
});
afterAll(() => {
  trace.disable();
  propagation.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

async function drain(): Promise<void> {
  await runWorker({
    pool: db.pool,
    schema: db.schema,
    tasks: registry.definitions().filter((t) => t.typeKey === 'metered'),
    untilEmpty: true,
  });
}

function spans(kind: SpanKind, name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.kind === kind && s.name === name);
}

async function traceContextOf(id: string): Promise<Record<string, string> | null> {
  const { rows } = await db.pool.query(`select trace_context from "${db.schema}".jobs where id = $1`, [id]);
  return rows[0].trace_context as Record<string, string> | null;
}

test("an enqueue is a send span whose context the job keeps; the run's process span links to it", async () => {
  const id = await jobmaster.enqueue('metered.ok', { n: 1 });
  const [send] = spans(SpanKind.PRODUCER, 'send metered.ok');
  expect(send).toBeDefined();
  expect(send!.attributes).toEqual({
    'messaging.system': 'jobmaster',
    'messaging.operation.name': 'send',
    'messaging.operation.type': 'send',
    'messaging.destination.name': 'metered.ok',
    'messaging.message.id': id,
  });
  const { traceId, spanId } = send!.spanContext();
  expect(await traceContextOf(id)).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });

  await drain();
  const [run] = spans(SpanKind.CONSUMER, 'process metered.ok');
  expect(run).toBeDefined();
  expect(run!.links.map((l) => l.context)).toEqual([expect.objectContaining({ traceId, spanId })]);
  // A trace of its own (see traceRun): linked to the enqueue, not its child.
  expect(run!.parentSpanContext).toBeUndefined();
  expect(run!.spanContext().traceId).not.toBe(traceId);
  expect(run!.attributes).toMatchObject({
    'messaging.system': 'jobmaster',
    'messaging.operation.name': 'process',
    'messaging.operation.type': 'process',
    'messaging.destination.name': 'metered.ok',
    'messaging.message.id': id,
    'jobmaster.job.attempt': 1,
  });
  expect(run!.status.code).not.toBe(SpanStatusCode.ERROR);
});

test('a failed run records the exception on its process span and sets status ERROR', async () => {
  const id = await jobmaster.enqueue('metered.doomed', { n: 1 });
  await drain();
  const [run] = spans(SpanKind.CONSUMER, 'process metered.doomed');
  expect(run!.attributes['messaging.message.id']).toBe(id);
  expect(run!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'doomed 1' });
  expect(run!.attributes['error.type']).toBe('TypeError');
  const exception = run!.events.find((e) => e.name === 'exception');
  expect(exception?.attributes).toMatchObject({ 'exception.type': 'TypeError', 'exception.message': 'doomed 1' });
  expect(String(exception?.attributes?.['exception.stacktrace'])).toMatch(/TypeError: doomed 1/);
});

test('each attempt of a retried job is a process span of its own, linked to the one enqueue', async () => {
  await jobmaster.enqueue('metered.flaky', { n: 1 });
  const [send] = spans(SpanKind.PRODUCER, 'send metered.flaky');
  await drain();
  await new Promise((r) => setTimeout(r, 100)); // past the 50 ms backoff
  await drain();
  const runs = spans(SpanKind.CONSUMER, 'process metered.flaky').sort(
    (a, b) => Number(a.attributes['jobmaster.job.attempt']) - Number(b.attributes['jobmaster.job.attempt']),
  );
  expect(runs.map((r) => [r.attributes['jobmaster.job.attempt'], r.status.code === SpanStatusCode.ERROR])).toEqual([
    [1, true],
    [2, false],
  ]);
  for (const r of runs) expect(r.links[0]?.context.spanId).toBe(send!.spanContext().spanId);
});

test("spans the task's function makes are children of its process span", async () => {
  await jobmaster.enqueue('metered.traced', { n: 4 });
  await drain();
  const [run] = spans(SpanKind.CONSUMER, 'process metered.traced');
  const [inner] = exporter.getFinishedSpans().filter((s) => s.name === 'inner 4');
  expect(inner!.parentSpanContext?.spanId).toBe(run!.spanContext().spanId);
  expect(inner!.spanContext().traceId).toBe(run!.spanContext().traceId);
});

test('a batch enqueue is one send span counting its jobs, and every job keeps its context', async () => {
  const ids = await jobmaster.enqueueMany([
    { task: 'metered.ok', args: { n: 20 } },
    { task: 'metered.ok', args: { n: 21 } },
    { task: 'metered.flaky', args: { n: 22 } },
  ]);
  const [send] = spans(SpanKind.PRODUCER, 'send');
  expect(send!.attributes).toMatchObject({ 'messaging.system': 'jobmaster', 'messaging.batch.message_count': 3 });
  expect(send!.attributes['messaging.destination.name']).toBeUndefined();
  const traceparent = `00-${send!.spanContext().traceId}-${send!.spanContext().spanId}-01`;
  for (const id of ids) expect(await traceContextOf(id)).toEqual({ traceparent });
});

test("the SQL door takes the caller's trace context, and the run links to it", async () => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const { rows } = await db.pool.query(
    `call "${db.schema}".insert_job('metered', 'ok', 0, '{"n": 30}'::json, trace_context => $1::jsonb)`,
    [JSON.stringify({ traceparent })],
  );
  const id = String(rows[0].job_id);
  expect(await traceContextOf(id)).toEqual({ traceparent });
  await drain();
  const run = spans(SpanKind.CONSUMER, 'process metered.ok').find((s) => s.attributes['messaging.message.id'] === id);
  expect(run!.links[0]?.context).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' });
});

test('a trace context that is not a JSON object is refused through SQL with a message naming it, and nothing is inserted', async () => {
  const before = (await db.pool.query(`select count(*)::int as n from "${db.schema}".jobs`)).rows[0].n;
  await expect(
    db.pool.query(`call "${db.schema}".insert_job('metered', 'ok', 0, '{"n": 31}'::json, trace_context => '"00-abc"'::jsonb)`),
  ).rejects.toThrow(
    'metered.ok: trace_context must be a JSON object of at most 4096 characters such as {"traceparent": "00-..."}, got "00-abc"',
  );
  expect((await db.pool.query(`select count(*)::int as n from "${db.schema}".jobs`)).rows[0].n).toBe(before);
});

test('without an OpenTelemetry SDK (jm enqueue), nothing is traced and the job keeps no context', async () => {
  const result = await runJm(['enqueue', 'metered', 'ok', '--json', '{"n": 40}', ...dbFlags(db)]);
  expect(result.stderr).toBe('');
  expect(await traceContextOf(result.stdout.trim())).toBeNull();
});

test('a job the queue makes for another (here a dependency the claim inserts) keeps the trace of the job that made it', async () => {
  const id = await jobmaster.enqueue('metered.after', { n: 50 });
  const traceparent = (await traceContextOf(id))!.traceparent;
  await drain();
  const { rows } = await db.pool.query(
    `select id::text, type_key || '.' || task_key as task, trace_context from "${db.schema}".jobs where spawned_by = $1`,
    [id],
  );
  expect(rows).toEqual([{ id: expect.any(String), task: 'metered.ok', trace_context: { traceparent } }]);
  const made = spans(SpanKind.CONSUMER, 'process metered.ok').find((s) => s.attributes['messaging.message.id'] === rows[0].id);
  const [send] = spans(SpanKind.PRODUCER, 'send metered.after');
  expect(made!.links.map((l) => l.context)).toEqual([expect.objectContaining({ spanId: send!.spanContext().spanId })]);
});

test("a workflow start is a send span; the run keeps its context and every step's job takes it, from TypeScript and SQL", async () => {
  defineWorkflow({
    name: 'traced-pair',
    steps: [
      { id: 'a', task: 'metered.ok', args: { n: '${{ params.n }}' } },
      { id: 'b', task: 'metered.ok', requires: 'a', args: { n: 61 } },
    ],
    params: { n: 'integer' },
  });
  await jobmaster.deploy();
  const runId = await jobmaster.startWorkflow('traced-pair', { n: 60 });
  const [send] = spans(SpanKind.PRODUCER, 'send workflow:traced-pair');
  expect(send!.attributes).toMatchObject({ 'messaging.destination.name': 'workflow:traced-pair', 'messaging.message.id': runId });
  const traceparent = `00-${send!.spanContext().traceId}-${send!.spanContext().spanId}-01`;
  const [batch] = await jobmaster.startWorkflows('traced-pair', [{ n: 62 }]);
  const batchContext = (await db.pool.query(`select trace_context from "${db.schema}".workflow_runs where id = $1`, [batch])).rows[0]
    .trace_context;
  expect(batchContext.traceparent).toMatch(/^00-/);
  expect(batchContext.traceparent).not.toBe(traceparent);
  const sqlParent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const { rows } = await db.pool.query(`call "${db.schema}".start_workflow('traced-pair', '{"n": 63}'::json, trace_context => $1::jsonb)`, [
    JSON.stringify({ traceparent: sqlParent }),
  ]);
  await drain();
  const steps = async (run: string): Promise<unknown[]> =>
    (
      await db.pool.query(
        `select s.step_id, j.trace_context from "${db.schema}".workflow_run_steps s join "${db.schema}".jobs j on j.id = s.job_id
          where s.run_id = $1 order by s.position`,
        [run],
      )
    ).rows;
  expect(await steps(runId)).toEqual([
    { step_id: 'a', trace_context: { traceparent } },
    { step_id: 'b', trace_context: { traceparent } },
  ]);
  expect(await steps(batch!)).toEqual([
    { step_id: 'a', trace_context: batchContext },
    { step_id: 'b', trace_context: batchContext },
  ]);
  expect(await steps(String(rows[0].run_id))).toEqual([
    { step_id: 'a', trace_context: { traceparent: sqlParent } },
    { step_id: 'b', trace_context: { traceparent: sqlParent } },
  ]);
  await expect(
    db.pool.query(`call "${db.schema}".start_workflow('traced-pair', '{"n": 64}'::json, trace_context => '"00-abc"'::jsonb)`),
  ).rejects.toThrow('workflow "traced-pair": trace_context must be a JSON object of at most 4096 characters');
});
