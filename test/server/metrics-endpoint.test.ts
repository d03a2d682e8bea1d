// `jm serve`'s /metrics: queue gauges per task, read from real jobs put in each state by the
// queue's own functions (enqueue, claim_jobs, fail_jobs), as workers would.
import { createApiToken, enqueueJob } from 'jobmaster';
import { createHandler, type JobMasterHandler } from '@jobmaster/server';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { deployTasks } from '../worker/worker-harness.js';
import { metricTypes, parseSamples, sampleValue, type Sample } from '../observability/prometheus-text.js';

const db = useTestDatabase('smet');
const TASK_NAMES = ['after', 'doomed', 'flaky', 'idle', 'ok', 'patient', 'traced'].map((t) => `metered.${t}`);
const REASONS = ['scheduled', 'retry_backoff', 'dependencies'];
let handler: JobMasterHandler;
let readToken: string;

beforeAll(async () => {
  await deployTasks(db, ['--tasks', 'test/fixtures/observability/metered.ts']);
  readToken = (await createApiToken(db.pool, db.schema, { name: 'prometheus', scope: 'read' })).token;
  handler = createHandler({ pool: db.pool, schema: db.schema });
});
afterAll(() => handler?.close());

async function get(token: string | undefined): Promise<Response> {
  return await handler(new Request('http://jm.test/metrics', { headers: token ? { authorization: `Bearer ${token}` } : {} }));
}

async function scrape(): Promise<Sample[]> {
  const response = await get(readToken);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseSamples(await response.text());
}

async function sql<R = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
  return (await db.pool.query(text.replaceAll('S.', `"${db.schema}".`), values)).rows as R[];
}

async function enqueue(taskKey: string, n: number, runAt?: Date): Promise<string> {
  return (await enqueueJob(db.pool, db.schema, { typeKey: 'metered', taskKey, args: { n }, ...(runAt && { runAt }) })).id;
}

/** Claims the task's waiting jobs as a worker on node-x would (claim_jobs); returns what it did with each. */
async function claim(taskKey: string): Promise<Array<{ id: string; action: string }>> {
  return await sql(`select id::text, action from S.claim_jobs('w-test', 'node-x', 4242, 100, 10, 60, array['metered.' || $1::text])`, [
    taskKey,
  ]);
}

async function fail(id: string): Promise<void> {
  await sql(`select * from S.fail_jobs('w-test', jsonb_build_array(jsonb_build_object('id', $1::bigint, 'message', 'boom')))`, [id]);
}

const gauge = (samples: Sample[], name: string, task: string, reason?: string): number | undefined =>
  sampleValue(samples, `jobmaster_queue_${name}`, reason ? { task, reason } : { task });

test('/metrics needs a token: none or a wrong one gets a plain 401 that Prometheus reports, a read token the gauges', async () => {
  for (const token of [undefined, 'jm_' + 'A'.repeat(43)]) {
    const response = await get(token);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="jobmaster"');
    expect(await response.text()).toMatch(/^(Sign in with a token|The token is not valid)/);
  }
  expect((await get(readToken)).status).toBe(200);
});

test('before any job, every registered task has each gauge (and each blocked reason) at zero', async () => {
  const samples = await scrape();
  for (const task of TASK_NAMES) {
    for (const name of ['waiting_jobs', 'running_jobs', 'oldest_waiting_age_seconds', 'failed_last_hour_jobs'])
      expect(gauge(samples, name, task), `${name} ${task}`).toBe(0);
    for (const reason of REASONS) expect(gauge(samples, 'blocked_jobs', task, reason), `${reason} ${task}`).toBe(0);
  }
});

test('jobs in every state show up in their gauges, each blocked one under its reason', async () => {
  // Due jobs, one of them enqueued ten minutes ago.
  const oldest = await enqueue('ok', 1);
  await enqueue('ok', 2);
  await enqueue('ok', 3);
  await sql(`update S.jobs set created_at = now() - interval '10 minutes', run_at = now() - interval '10 minutes' where id = $1`, [oldest]);
  // Run-at in the future.
  await enqueue('ok', 10, new Date(Date.now() + 3_600_000));
  await enqueue('ok', 11, new Date(Date.now() + 3_600_000));
  // A failed attempt waiting out its backoff (an hour).
  const patient = await enqueue('patient', 1);
  expect(await claim('patient')).toEqual([{ id: patient, action: 'run' }]);
  await fail(patient);
  // A dependent sent back to wait: the claim inserts its dependency (metered.ok n=7).
  const after = await enqueue('after', 7);
  expect(await claim('after')).toEqual([{ id: after, action: 'waiting' }]);
  // A running job.
  const running = await enqueue('flaky', 1);
  expect(await claim('flaky')).toEqual([{ id: running, action: 'run' }]);
  // Failures for good: one now, one two hours ago.
  for (const n of [1, 2]) {
    const id = await enqueue('doomed', n);
    await claim('doomed');
    await fail(id);
    if (n === 2) await sql(`update S.jobs set finished_at = now() - interval '2 hours' where id = $1`, [id]);
  }

  const samples = await scrape();
  const expected: Record<string, { waiting: number; running: number; failed: number; blocked: Record<string, number> }> = {
    'metered.ok': { waiting: 6, running: 0, failed: 0, blocked: { scheduled: 2 } },
    'metered.patient': { waiting: 1, running: 0, failed: 0, blocked: { retry_backoff: 1 } },
    'metered.after': { waiting: 1, running: 0, failed: 0, blocked: { dependencies: 1 } },
    'metered.flaky': { waiting: 0, running: 1, failed: 0, blocked: {} },
    'metered.doomed': { waiting: 0, running: 0, failed: 1, blocked: {} },
    'metered.idle': { waiting: 0, running: 0, failed: 0, blocked: {} },
    'metered.traced': { waiting: 0, running: 0, failed: 0, blocked: {} },
  };
  for (const [task, e] of Object.entries(expected)) {
    expect(gauge(samples, 'waiting_jobs', task), task).toBe(e.waiting);
    expect(gauge(samples, 'running_jobs', task), task).toBe(e.running);
    expect(gauge(samples, 'failed_last_hour_jobs', task), task).toBe(e.failed);
    for (const reason of REASONS) expect(gauge(samples, 'blocked_jobs', task, reason), `${task} ${reason}`).toBe(e.blocked[reason] ?? 0);
  }
  // The same figures as counting the rows themselves.
  const counted = await sql<{ task: string; waiting: number; running: number }>(
    `select type_key || '.' || task_key as task, count(*) filter (where status = 'waiting')::int as waiting,
            count(*) filter (where status = 'running')::int as running from S.jobs group by 1`,
  );
  for (const c of counted) {
    expect(gauge(samples, 'waiting_jobs', c.task)).toBe(c.waiting);
    expect(gauge(samples, 'running_jobs', c.task)).toBe(c.running);
  }
  // Oldest due job: the one enqueued ten minutes ago; jobs not due (future run-at, backoff,
  // dependency) count for nothing.
  const age = gauge(samples, 'oldest_waiting_age_seconds', 'metered.ok')!;
  expect(age).toBeGreaterThanOrEqual(600);
  expect(age).toBeLessThan(1200);
  for (const task of ['metered.patient', 'metered.after', 'metered.flaky'])
    expect(gauge(samples, 'oldest_waiting_age_seconds', task)).toBe(0);

  // A job due half an hour ago that was created long before (a run-at that has passed): due since its run-at.
  await sql(`update S.jobs set created_at = now() - interval '2 hours', run_at = now() - interval '30 minutes'
              where task_key = 'ok' and arguments = '{"n": 2}'`);
  const later = gauge(await scrape(), 'oldest_waiting_age_seconds', 'metered.ok')!;
  expect(later).toBeGreaterThanOrEqual(1800);
  expect(later).toBeLessThan(2400);
});

test('gauge names follow Prometheus conventions and labels carry only the task and the reason', async () => {
  const response = await get(readToken);
  const text = await response.text();
  const ids = new Set((await sql<{ id: string }>('select id::text from S.jobs')).map((r) => r.id));
  for (const s of parseSamples(text)) {
    expect(s.name).toMatch(/^jobmaster_queue_/);
    for (const [key, value] of Object.entries(s.labels)) {
      expect(['task', 'reason']).toContain(key);
      expect(ids.has(value)).toBe(false);
    }
  }
  for (const [name, type] of metricTypes(text)) {
    expect(type).toBe('gauge');
    expect(name).not.toMatch(/_total$|milli|_ms\b/);
  }
  expect(sampleValue(parseSamples(text), 'jobmaster_queue_metrics_query_seconds')).toBeGreaterThan(0);
});
