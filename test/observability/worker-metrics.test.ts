// `jm run --metrics-port`: a real worker process serves Prometheus metrics over HTTP. Every
// task it runs has its series from the start, at zero; after a drain the counters equal what
// the database says happened; labels name tasks only, never a job or its arguments.
import { createServer } from 'node:net';
import { ConfigError, Worker, enqueueJobs, loadTaskModules, registry } from 'jobmaster';
import { register as globalRegistry } from 'prom-client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { REPO_ROOT, dbFlags, runJm } from '../support/run-jm.js';
import { deployTasks, startWorker, waitFor } from '../worker/worker-harness.js';
import { metricTypes, parseSamples, sampleValue, type Sample } from './prometheus-text.js';

const db = useTestDatabase('obsm');
const TASKS = ['--tasks', 'test/fixtures/observability/metered.ts'];
const TASK_NAMES = ['after', 'doomed', 'flaky', 'idle', 'ok', 'patient', 'traced'].map((t) => `metered.${t}`);
const COUNTERS = ['started', 'completed', 'failed', 'retried', 'cancelled'].map((c) => `jobmaster_worker_jobs_${c}_total`);

beforeAll(async () => deployTasks(db, TASKS));

async function scrape(url: string): Promise<{ text: string; samples: Sample[] }> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { text, samples: parseSamples(text) };
}

async function count(where: string): Promise<number> {
  const { rows } = await db.pool.query(`select count(*)::int as n from "${db.schema}".jobs where ${where}`);
  return rows[0].n as number;
}

test('every task the worker runs has its counters and histograms at zero before any job', async () => {
  const worker = startWorker(db, [...TASKS, '--metrics-port', '0', '--process-units', '40']);
  try {
    const url = await waitFor('the metrics URL', () => /Prometheus metrics at (\S+)/.exec(worker.output().stderr)?.[1]);
    const { samples } = await scrape(url);
    for (const task of TASK_NAMES) {
      for (const name of COUNTERS) expect(sampleValue(samples, name, { task }), `${name} ${task}`).toBe(0);
      expect(sampleValue(samples, 'jobmaster_worker_job_run_seconds_count', { task })).toBe(0);
      expect(sampleValue(samples, 'jobmaster_worker_job_queue_wait_seconds_count', { task })).toBe(0);
      expect(sampleValue(samples, 'jobmaster_worker_job_run_seconds_bucket', { task, le: '+Inf' })).toBe(0);
    }
    expect(sampleValue(samples, 'jobmaster_worker_process_units_budget')).toBe(40);
    expect(sampleValue(samples, 'jobmaster_worker_process_units_in_use')).toBe(0);
    expect(sampleValue(samples, 'jobmaster_worker_running_jobs')).toBe(0);
    // Only the worker's endpoint: anything else is a 404.
    expect((await fetch(url.replace(/\/metrics$/, '/other'))).status).toBe(404);
  } finally {
    worker.child.kill('SIGTERM');
  }
  const { code, stderr } = await worker.exited;
  expect(code, stderr).toBe(0);
});

test("after the worker ran a batch, each task's counters and histogram counts equal the database's outcomes", async () => {
  const worker = startWorker(db, [...TASKS, '--metrics-port', '0', '--process-units', '40', '--concurrency', '4']);
  try {
    const url = await waitFor('the metrics URL', () => /Prometheus metrics at (\S+)/.exec(worker.output().stderr)?.[1]);
    const jobs = [
      ...Array.from({ length: 20 }, (_, n) => ({ typeKey: 'metered', taskKey: 'ok', args: { n } })),
      ...Array.from({ length: 5 }, (_, n) => ({ typeKey: 'metered', taskKey: 'flaky', args: { n } })),
      ...Array.from({ length: 3 }, (_, n) => ({ typeKey: 'metered', taskKey: 'doomed', args: { n } })),
    ];
    await enqueueJobs(db.pool, db.schema, jobs);
    await waitFor('every job to finish', async () => (await count(`status in ('waiting', 'running')`)) === 0);
    // An outcome is counted once its write has returned to the worker: scrape until all 28 are in.
    const { text, samples } = await waitFor('the worker to count every outcome', async () => {
      const s = await scrape(url);
      const ended = ['completed', 'failed'].reduce(
        (sum, c) =>
          sum + TASK_NAMES.reduce((t, task) => t + (sampleValue(s.samples, `jobmaster_worker_jobs_${c}_total`, { task }) ?? 0), 0),
        0,
      );
      return ended === jobs.length ? s : null;
    });

    const { rows } = await db.pool.query<{ task: string; complete: number; failed: number; attempts: number }>(
      `select type_key || '.' || task_key as task, count(*) filter (where status = 'complete')::int as complete,
              count(*) filter (where status = 'failed')::int as failed, sum(attempts)::int as attempts
         from "${db.schema}".jobs group by 1`,
    );
    expect(rows.map((r) => r.task).sort()).toEqual(['metered.doomed', 'metered.flaky', 'metered.ok']);
    for (const r of rows) {
      const task = r.task;
      expect(sampleValue(samples, 'jobmaster_worker_jobs_completed_total', { task }), task).toBe(r.complete);
      expect(sampleValue(samples, 'jobmaster_worker_jobs_failed_total', { task }), task).toBe(r.failed);
      expect(sampleValue(samples, 'jobmaster_worker_jobs_started_total', { task }), task).toBe(r.attempts);
      expect(sampleValue(samples, 'jobmaster_worker_jobs_retried_total', { task }), task).toBe(r.attempts - r.complete - r.failed);
      expect(sampleValue(samples, 'jobmaster_worker_job_run_seconds_count', { task }), task).toBe(r.attempts);
      expect(sampleValue(samples, 'jobmaster_worker_job_queue_wait_seconds_count', { task }), task).toBe(r.attempts);
    }
    // The figures the batch was built to give.
    expect(sampleValue(samples, 'jobmaster_worker_jobs_completed_total', { task: 'metered.ok' })).toBe(20);
    expect(sampleValue(samples, 'jobmaster_worker_jobs_retried_total', { task: 'metered.flaky' })).toBe(5);
    expect(sampleValue(samples, 'jobmaster_worker_jobs_completed_total', { task: 'metered.flaky' })).toBe(5);
    expect(sampleValue(samples, 'jobmaster_worker_jobs_failed_total', { task: 'metered.doomed' })).toBe(3);
    expect(sampleValue(samples, 'jobmaster_worker_jobs_started_total', { task: 'metered.idle' })).toBe(0);
    expect(sampleValue(samples, 'jobmaster_worker_claim_seconds_count')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'jobmaster_worker_process_units_in_use')).toBe(0);

    // Labels: the task (from the registry) and a histogram's bucket bound, nothing else.
    const ids = new Set((await db.pool.query<{ id: string }>(`select id::text from "${db.schema}".jobs`)).rows.map((r) => r.id));
    for (const s of samples.filter((x) => x.name.startsWith('jobmaster_'))) {
      for (const [key, value] of Object.entries(s.labels)) {
        expect(['task', 'le'], `${s.name} label ${key}`).toContain(key);
        if (key === 'task') {
          expect(TASK_NAMES).toContain(value);
          expect(ids.has(value)).toBe(false);
        }
      }
    }
    // Names: jobmaster_ prefix, counters end in _total, histograms measure in seconds.
    const types = [...metricTypes(text)].filter(([name]) => name.startsWith('jobmaster_'));
    expect(types.length).toBeGreaterThanOrEqual(11);
    for (const [name, type] of types) {
      if (type === 'counter') expect(name).toMatch(/_total$/);
      if (type === 'histogram') expect(name).toMatch(/_seconds$/);
      expect(name).not.toMatch(/milli|_ms\b/);
    }
  } finally {
    worker.child.kill('SIGTERM');
  }
  const { code, stderr } = await worker.exited;
  expect(code, stderr).toBe(0);
});

test("metrics: true collects into the worker's own registry, for an application's /metrics, never prom-client's global one", async () => {
  await loadTaskModules(['test/fixtures/observability/metered.ts'], { cwd: REPO_ROOT });
  const tasks = registry.definitions().filter((t) => t.typeKey === 'metered');
  await enqueueJobs(db.pool, db.schema, [
    { typeKey: 'metered', taskKey: 'ok', args: { n: 500 } },
    { typeKey: 'metered', taskKey: 'doomed', args: { n: 501 } },
  ]);
  const worker = new Worker({ pool: db.pool, schema: db.schema, tasks, untilEmpty: true, metrics: true, processUnits: 7 });
  const summary = await worker.run();
  expect(summary).toMatchObject({ completed: 1, failed: 1 });
  const text = await worker.metricsRegistry!.metrics();
  const samples = parseSamples(text);
  expect(sampleValue(samples, 'jobmaster_worker_jobs_completed_total', { task: 'metered.ok' })).toBe(1);
  expect(sampleValue(samples, 'jobmaster_worker_jobs_failed_total', { task: 'metered.doomed' })).toBe(1);
  expect(sampleValue(samples, 'jobmaster_worker_jobs_started_total', { task: 'metered.idle' })).toBe(0);
  expect(sampleValue(samples, 'jobmaster_worker_process_units_budget')).toBe(7);
  // The application's registry is left as it was, and the embedded worker adds no process metrics of its own.
  expect(await globalRegistry.metrics()).not.toContain('jobmaster_');
  expect(text).not.toMatch(/^process_|^nodejs_/m);
  // Without the option there is nothing to collect into.
  expect(new Worker({ pool: db.pool, schema: db.schema, tasks }).metricsRegistry).toBeNull();
  expect(() => new Worker({ pool: db.pool, schema: db.schema, tasks, metrics: false, metricsPort: 9464 })).toThrow(ConfigError);
  expect(() => new Worker({ pool: db.pool, schema: db.schema, tasks, metricsPort: 65536 })).toThrow(
    'Worker option metricsPort must be a port number from 0 to 65535, got 65536',
  );
});

test('a metrics port that is taken stops jm run with one line naming it, before it claims anything', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  afterAll(() => blocker.close());
  await enqueueJobs(db.pool, db.schema, [{ typeKey: 'metered', taskKey: 'ok', args: { n: 1000 } }]);
  const result = await runJm(['run', '--until-empty', ...dbFlags(db), ...TASKS, '--metrics-port', String(port)]);
  expect(result.code).not.toBe(0);
  expect(result.stderr.trim()).toBe(`jm: Cannot serve metrics on 127.0.0.1:${port}: the port is in use (choose another --metrics-port)`);
  expect(await count(`task_key = 'ok' and arguments = '{"n": 1000}' and status = 'waiting'`)).toBe(1);
});

test.each([
  [['--metrics-port', '70000'], '--metrics-port must be a port number from 0 to 65535, got "70000"'],
  [['--metrics-port', 'abc'], '--metrics-port must be a port number from 0 to 65535, got "abc"'],
  [['--metrics-host', '0.0.0.0'], '--metrics-host needs --metrics-port'],
])('jm run %j is refused with one line', async (flags, message) => {
  const result = await runJm(['run', '--until-empty', ...dbFlags(db), ...TASKS, ...flags]);
  expect(result.code).not.toBe(0);
  expect(result.stderr.trim()).toBe(`jm: ${message}`);
});

test('a metrics host that is not an address of this machine is refused with one line naming it', async () => {
  const result = await runJm(['run', '--until-empty', ...dbFlags(db), ...TASKS, '--metrics-port', '0', '--metrics-host', '203.0.113.7']);
  expect(result.code).not.toBe(0);
  expect(result.stderr.trim()).toMatch(/^jm: Cannot serve metrics on 203\.0\.113\.7:0: .+ \(check --metrics-host and --metrics-port\)$/);
});
