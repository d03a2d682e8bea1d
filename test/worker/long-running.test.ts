// A long-running `jm run`: it wakes on LISTEN/NOTIFY rather than its slow poll, and
// SIGINT/SIGTERM stop it gracefully (a second signal at once).
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import {
  NOTHING_ELSE_WAKES,
  WORKER_FIXTURES,
  deployTasks,
  history,
  job,
  lines,
  sql,
  startWorker,
  tempDir,
  waitFor,
  type WorkerProcess,
} from './worker-harness.js';

const db = useTestDatabase('wlong');
const dir = tempDir();

beforeAll(async () => deployTasks(db, WORKER_FIXTURES));

async function enqueue(taskKey: string, args: object): Promise<string> {
  const [row] = await sql(db, `select job_id from S.enqueue('counting', $1, 0, $2)`, [taskKey, JSON.stringify(args)]);
  return String(row!.job_id);
}

/** Waits until the worker has registered itself, i.e. is listening and idle. */
async function ready(worker: WorkerProcess): Promise<void> {
  await waitFor(
    'the worker to register',
    async () => (await sql(db, `select 1 from S.workers where pid = $1`, [worker.child.pid])).length > 0,
  );
}

test('an idle worker picks up a newly enqueued job at once (NOTIFY), not at its next poll', async () => {
  const file = join(dir, 'notify.txt');
  const worker = startWorker(db, [...WORKER_FIXTURES, ...NOTHING_ELSE_WAKES]);
  try {
    await ready(worker);
    await new Promise((r) => setTimeout(r, 200)); // past the first (startup) claim
    const latencies: number[] = [];
    for (let n = 0; n < 3; n++) {
      const enqueued = Date.now();
      const id = await enqueue('count', { file, n });
      await waitFor('the job to complete, long before the poll', async () => (await job(db, id)).status === 'complete', 30_000, 5);
      latencies.push(Date.now() - enqueued);
    }
    // A figure, not an assertion: under load a wake-up comes late.
    console.info(`enqueue -> complete latency of an idle worker: ${latencies.join(', ')} ms`);
  } finally {
    worker.child.kill('SIGTERM');
  }
  const { code, stderr } = await worker.exited;
  expect(code, stderr).toBe(0);
  // One concise line per job start and finish.
  expect(stderr).toMatch(/job \d+ counting\.count started \(attempt 1\/3\)/);
  expect(stderr).toMatch(/job \d+ counting\.count complete in \d+ ms/);
  expect(await sql(db, `select * from S.workers where pid = $1`, [worker.child.pid])).toEqual([]);
});

test('SIGTERM during a long job lets it finish, then the worker exits 0', async () => {
  const file = join(dir, 'sigterm.txt');
  const id = await enqueue('nap', { file, ms: 1500 });
  const worker = startWorker(db, WORKER_FIXTURES);
  await waitFor('the job to start', () => lines(file).some((l) => l.startsWith(`start ${id}`)));
  worker.child.kill('SIGTERM');
  const { code, stderr } = await worker.exited;
  expect(code, stderr).toBe(0);
  expect(stderr).toMatch(/stopping; waiting up to 30s for 1 running job/);
  expect(lines(file)).toContain(`end ${id}`);
  expect((await job(db, id)).status).toBe('complete');
});

test('a job still running when the grace period ends goes back to the queue, uncounted, and the worker exits 0', async () => {
  const file = join(dir, 'grace.txt');
  const id = await enqueue('nap', { file, ms: 30_000 });
  const worker = startWorker(db, [...WORKER_FIXTURES, '--grace', '300ms']);
  await waitFor('the job to start', () => lines(file).some((l) => l.startsWith(`start ${id}`)));
  worker.child.kill('SIGINT');
  const { code, stderr } = await worker.exited;
  expect(code, stderr).toBe(0);
  expect(stderr).toMatch(/gave 1 unfinished job back to the queue/);
  const row = await job(db, id);
  expect(row).toMatchObject({ status: 'waiting', attempts: 0, worker_id: null });
  expect((await history(db, id)).map((e) => e.status)).toEqual(['running', 'waiting']);
  await sql(db, `delete from S.jobs where id = $1`, [id]);
});

test('a second signal exits at once with code 130, leaving the job to lease recovery', async () => {
  const file = join(dir, 'twice.txt');
  const id = await enqueue('nap', { file, ms: 30_000 });
  const worker = startWorker(db, WORKER_FIXTURES);
  await waitFor('the job to start', () => lines(file).some((l) => l.startsWith(`start ${id}`)));
  worker.child.kill('SIGINT');
  await waitFor('the first signal to be noticed', () => worker.output().stderr.includes('stopping;'));
  worker.child.kill('SIGINT');
  const { code, stderr } = await worker.exited;
  expect(code, stderr).toBe(130);
  expect(stderr).toMatch(/interrupted again: exiting at once/);
  const row = await job(db, id);
  expect(row.status).toBe('running');
  expect(row.lease_expires_at.getTime()).toBeGreaterThan(Date.now());
  await sql(db, `delete from S.jobs where id = $1`, [id]);
});

test('when its LISTEN connection drops, the worker reconnects and still wakes on new jobs', async () => {
  const file = join(dir, 'reconnect.txt');
  const worker = startWorker(db, [...WORKER_FIXTURES, ...NOTHING_ELSE_WAKES]);
  try {
    await ready(worker);
    // The worker registers before it starts listening: wait for the LISTEN, then cut it.
    const killed = await waitFor('the LISTEN connection to be cut', async () => {
      const rows = await sql(
        db,
        `select pg_terminate_backend(pid) as ok from pg_stat_activity where query = $1 and datname = current_database()`,
        [`listen "jm:${db.schema}"`],
      );
      return rows.length > 0 ? rows : null;
    });
    expect(killed).toEqual([{ ok: true }]);
    await waitFor('the worker to listen again', () => /listening on jm:\w+ again/.test(worker.output().stderr));
    const id = await enqueue('count', { file, n: 1 });
    await waitFor('the job to complete, long before the poll', async () => (await job(db, id)).status === 'complete', 30_000, 5);
  } finally {
    worker.child.kill('SIGTERM');
  }
  const { code, stderr } = await worker.exited;
  expect(code, stderr).toBe(0);
  expect(stderr).toMatch(/the LISTEN connection dropped .*; reconnecting/);
});
