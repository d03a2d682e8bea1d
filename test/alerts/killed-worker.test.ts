// Alerts survive a worker killed with SIGKILL: a job whose worker died fails when its lease
// lapses and alerts through another worker, and alerts a killed worker had recorded, or was
// delivering, reach the receiver through the next one.
import { afterEach, beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { deployTasks, sql, startWorker, stopWorkers, waitFor, type WorkerProcess } from '../worker/worker-harness.js';
import { AlertReceiver } from './alert-receiver.js';

const db = useTestDatabase('alertkill');
const FIXTURES = ['--tasks', 'test/fixtures/alerts/failing.ts'];
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  await deployTasks(db, FIXTURES);
});

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function listeningReceiver(): Promise<AlertReceiver> {
  const r = await AlertReceiver.onFreePort();
  await r.listen();
  cleanup.push(() => r.close());
  return r;
}

function worker(args: string[]): WorkerProcess {
  const w = startWorker(db, [...FIXTURES, ...args]);
  cleanup.push(async () => {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await w.exited;
  });
  return w;
}

async function enqueue(taskKey: string, args: object): Promise<string> {
  const [row] = await sql(db, `select job_id::text from S.enqueue('failing', $1, 0, $2)`, [taskKey, JSON.stringify(args)]);
  return row!.job_id;
}

test('a job whose worker was SIGKILLed mid-job fails when its lease lapses, and another worker delivers its alert once', async () => {
  const hook = await listeningReceiver();
  const id = await enqueue('hang', { ms: 600_000 });
  const doomed = worker(['--lease', '2s', '--heartbeat', '500ms']);
  await waitFor('the job to run', async () => (await sql(db, `select status from S.jobs where id = $1`, [id]))[0]!.status === 'running');
  doomed.child.kill('SIGKILL');
  await doomed.exited;

  // The survivor's claims recover the lapsed lease (the job has no attempt left: it fails),
  // and its alert loop, polling, finds the alert that recovery recorded.
  const survivor = worker(['--alert-webhook', hook.url, '--poll', '300ms']);
  await waitFor('the alert to arrive', () => hook.accepted().length > 0, 30_000);
  await waitFor('the alert to be marked delivered', async () => {
    const [row] = await sql(db, `select delivered_at from S.job_alerts where job_id = $1`, [id]);
    return row?.delivered_at;
  });
  await stopWorkers([survivor]);

  expect(hook.accepted()).toHaveLength(1);
  expect(hook.accepted()[0]).toMatchObject({
    jobId: id,
    task: 'failing.hang',
    event: 'job.failed',
    final: true,
    cause: 'lease',
    attempt: 1,
    arguments: { ms: 600_000 },
  });
  expect(hook.accepted()[0]!.error.message).toMatch(/stopped renewing its lease \(attempt 1 of 1\)/);
  const [job] = await sql(db, `select status from S.jobs where id = $1`, [id]);
  expect(job!.status).toBe('failed');
});

test('alerts a SIGKILLed worker recorded and was still delivering reach the receiver through the next worker, once each', async () => {
  // The first worker's receiver never answers: its deliveries are in flight when it dies.
  const silent = await listeningReceiver();
  silent.hold();
  const ids = [await enqueue('explode', { n: 1 }), await enqueue('explode', { n: 2 }), await enqueue('explode', { n: 3 })];
  const doomed = worker(['--alert-webhook', silent.url, '--alert-timeout', '1s']);
  await waitFor('its deliveries to be in flight', () => silent.arrived >= 3);
  doomed.child.kill('SIGKILL');
  await doomed.exited;
  const [pending] = await sql(
    db,
    `select count(*)::int as n from S.job_alerts where delivered_at is null and job_id = any ($1::bigint[])`,
    [ids],
  );
  expect(pending!.n).toBe(3);

  // The next worker delivers them once their claims lapse (the timeout doubled plus a margin).
  const hook = await listeningReceiver();
  const next = worker(['--alert-webhook', hook.url, '--poll', '500ms']);
  await waitFor(
    'the three alerts to be delivered',
    async () => {
      const [row] = await sql(
        db,
        `select count(*)::int as n from S.job_alerts where delivered_at is not null and job_id = any ($1::bigint[])`,
        [ids],
      );
      return row!.n === 3;
    },
    60_000,
  );
  await stopWorkers([next]);
  expect(
    hook
      .accepted()
      .map((a) => a.jobId)
      .sort(),
  ).toEqual([...ids].sort());
  expect(hook.accepted().every((a) => a.delivery === 2)).toBe(true);
});
