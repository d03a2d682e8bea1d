// Failure alerts delivered to a webhook by real `jm run` processes: the receiver is down at
// first (connection refused, then HTTP 500), and each failed job's alert still arrives, once.
import { afterEach, beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { deployTasks, sql, startWorker, waitFor } from '../worker/worker-harness.js';
import { AlertReceiver } from './alert-receiver.js';

const db = useTestDatabase('alertweb');
const FIXTURES = ['--tasks', 'test/fixtures/alerts/failing.ts'];
const receivers: AlertReceiver[] = [];

beforeAll(async () => {
  await deployTasks(db, FIXTURES);
});

afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(): Promise<AlertReceiver> {
  const r = await AlertReceiver.onFreePort();
  receivers.push(r);
  return r;
}

async function enqueue(taskKey: string, ns: number[]): Promise<string[]> {
  const ids: string[] = [];
  for (const n of ns) {
    const [row] = await sql(db, `select job_id::text from S.enqueue('failing', $1, 0, $2)`, [taskKey, JSON.stringify({ n })]);
    ids.push(row!.job_id);
  }
  return ids;
}

/** A drain with a webhook; resolves with its exit code and JSON summary. */
async function drainWithWebhook(url: string, extra: string[] = [], beforeExit?: () => Promise<void>) {
  const worker = startWorker(db, ['--until-empty', '--json', ...FIXTURES, '--alert-webhook', url, '--alert-retry', '200ms', ...extra]);
  await beforeExit?.();
  const exit = await worker.exited;
  return { code: exit.code, summary: JSON.parse(exit.stdout) as Record<string, any>, stderr: exit.stderr };
}

test('each job that fails for good reaches the webhook once, although the receiver refused connections and then answered 500', async () => {
  const hook = await receiver();
  const failed = await enqueue('explode', [1, 2, 3, 4, 5]);
  await enqueue('fine', [1, 2]);

  const { code, summary, stderr } = await drainWithWebhook(hook.url, [], async () => {
    // Down: the first deliveries are refused; then up, but answering 500 three times.
    await waitFor('a refused delivery', async () => {
      const [row] = await sql(db, `select count(*)::int as n from S.job_alerts where last_error like '%ECONNREFUSED%'`);
      return row!.n > 0;
    });
    hook.failNext(3);
    await hook.listen();
  });

  expect(code, stderr).toBe(1); // jobs failed: cron must hear of it
  expect(summary).toMatchObject({ completed: 2, failed: 5, alerts: { delivered: 5, pending: 0 } });
  expect(stderr).toContain('not delivered, retrying');
  expect(hook.received.filter((r) => r.status === 500)).toHaveLength(3);

  const accepted = hook.accepted();
  expect(accepted.map((a) => a.jobId).sort()).toEqual([...failed].sort());
  expect(new Set(accepted.map((a) => a.alertId)).size).toBe(5);
  expect(accepted.some((a) => a.delivery > 1)).toBe(true);
  const first = accepted.find((a) => a.jobId === failed[0])!;
  expect(first).toMatchObject({
    event: 'job.failed',
    schema: db.schema,
    task: 'failing.explode',
    arguments: { n: 1 },
    final: true,
    attempt: 1,
    maxAttempts: 1,
    cause: 'error',
    error: { message: 'exploded 1' },
  });
  expect(first.error.stack).toContain('failing.ts');
  expect(Date.parse(first.failedAt)).not.toBeNaN();
  for (const r of hook.received) expect(r.idempotencyKey).toBe(`${db.schema}:${r.body.alertId}`);

  const rows = await sql(db, `select delivered_at, delivered_to, last_error from S.job_alerts where job_id = any ($1::bigint[])`, [failed]);
  expect(rows).toHaveLength(5);
  for (const row of rows) expect(row).toMatchObject({ delivered_at: expect.any(Date), delivered_to: ['webhook'] });
});

test('failed attempts alert only workers run with --alert-on attempt, and such a worker started later catches up', async () => {
  const hook = await receiver();
  await hook.listen();
  const [flaky] = await enqueue('flaky', [7]);

  // A final-only worker: the job's last failure, not the retried one.
  const final = await drainWithWebhook(hook.url);
  expect(final.summary).toMatchObject({ failed: 1, retried: 1, alerts: { delivered: 1, pending: 0 } });
  expect(hook.accepted().map((a) => [a.jobId, a.event, a.attempt])).toEqual([[flaky, 'job.failed', 2]]);
  const [waiting] = await sql(db, `select count(*)::int as n from S.job_alerts where delivered_at is null and not final`);
  expect(waiting!.n).toBe(1);

  // A worker that wants attempts, with nothing to run, delivers the one recorded before it started.
  const attempts = await drainWithWebhook(hook.url, ['--alert-on', 'attempt']);
  expect(attempts.summary).toMatchObject({ ran: 0, alerts: { delivered: 1, pending: 0 } });
  expect(hook.accepted().map((a) => [a.jobId, a.event, a.attempt, a.final])).toEqual([
    [flaky, 'job.failed', 2, true],
    [flaky, 'job.attempt_failed', 1, false],
  ]);
  expect(hook.accepted()[1]!.error.message).toBe('flaky 7');
});
