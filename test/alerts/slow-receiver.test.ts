// A receiver that does not answer slows neither the claiming nor the running of jobs: the
// drain finishes every job while its first deliveries still hang, then delivers each alert
// once the receiver answers, never more at a time than its concurrency.
import { afterEach, beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { deployTasks, sql, startWorker, waitFor } from '../worker/worker-harness.js';
import { AlertReceiver } from './alert-receiver.js';

const db = useTestDatabase('alertslow');
const FIXTURES = ['--tasks', 'test/fixtures/alerts/failing.ts'];
let hook: AlertReceiver;

beforeAll(async () => {
  await deployTasks(db, FIXTURES);
});

afterEach(async () => {
  await hook?.close();
});

test('jobs keep running while a slow receiver holds the alerts, and every alert arrives once when it answers', async () => {
  hook = await AlertReceiver.onFreePort();
  await hook.listen();
  hook.hold();
  const batch = (task: string, from: number, count: number): Promise<unknown> =>
    sql(db, `select S.enqueue('failing', $1::text, 0, jsonb_build_object('n', g)) from generate_series($2::int, $3::int) g`, [
      task,
      from,
      from + count - 1,
    ]);
  await batch('explode', 1, 30);
  await batch('fine', 1, 200);

  const drain = startWorker(db, ['--until-empty', '--json', ...FIXTURES, '--alert-webhook', hook.url, '--alert-timeout', '5m']);
  // Every job ends while the receiver has answered nothing.
  await waitFor('every job to finish', async () => {
    const [row] = await sql(db, `select count(*)::int as n from S.jobs where status in ('complete', 'failed')`);
    return row!.n === 230;
  });
  expect(hook.arrived).toBeGreaterThan(0);
  expect(hook.received).toHaveLength(0);
  const [undelivered] = await sql(db, `select count(*)::int as n from S.job_alerts where delivered_at is null`);
  expect(undelivered!.n).toBe(30);

  hook.release();
  const exit = await drain.exited;
  expect(exit.code, exit.stderr).toBe(1);
  expect(JSON.parse(exit.stdout)).toMatchObject({ completed: 200, failed: 30, alerts: { delivered: 30, pending: 0, failedAttempts: 0 } });
  const alerts = hook.accepted();
  expect(alerts).toHaveLength(30);
  expect(new Set(alerts.map((a) => a.jobId)).size).toBe(30);
  // Four at a time (the default concurrency), however many were waiting.
  expect(hook.maxInFlight).toBeLessThanOrEqual(4);
});
