// How a worker runs jobs and records what happened: claim order, retries with backoff, the
// history of every status change, failures that propagate to dependents, results JSON cannot
// hold, and cancellation of a running job.
import { join } from 'node:path';
import { enqueueJobs, loadTaskModules, registry, runWorker } from 'jobmaster';
import { beforeAll, expect, test } from 'vitest';
import { REPO_ROOT } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';
import { WORKER_FIXTURES, deployTasks, drain, history, job, lines, sql, startWorker, tempDir, waitFor } from './worker-harness.js';

const db = useTestDatabase('wexec');
const dir = tempDir();

beforeAll(async () => deployTasks(db, WORKER_FIXTURES));

async function enqueue(typeKey: string, taskKey: string, args: object, priority = 0): Promise<string> {
  const [row] = await sql(db, `select job_id from S.enqueue($1, $2, $3, $4)`, [typeKey, taskKey, priority, JSON.stringify(args)]);
  return String(row!.job_id);
}

test('jobs run highest priority first, then oldest first', async () => {
  const file = join(dir, 'order.txt');
  const priorities = [0, 5, 0, 9, 5, -1, 9, 0];
  await enqueueJobs(
    db.pool,
    db.schema,
    priorities.map((priority, n) => ({ typeKey: 'counting', taskKey: 'ordered', args: { file, n }, priority })),
  );
  const run = await drain(db, [...WORKER_FIXTURES, '--concurrency', '1']);
  expect(run.code, run.stderr).toBe(0);
  const expected = priorities
    .map((priority, n) => ({ priority, n }))
    .sort((a, b) => b.priority - a.priority || a.n - b.n)
    .map((j) => String(j.n));
  expect(lines(file)).toEqual(expected);
});

test('a throwing job is retried with backoff, every status change is recorded with node and pid, and its dependents fail naming it', async () => {
  const dependent = await enqueue('outcomes', 'needsBoom', { label: 'x' });
  const worker = startWorker(db, [...WORKER_FIXTURES, '--node', 'exec-node', '--poll', '10s']);
  try {
    await waitFor('the dependent to fail', async () => (await job(db, dependent)).status === 'failed', 30_000);
  } finally {
    worker.child.kill('SIGTERM');
  }
  const { code, stderr } = await worker.exited;
  expect(code, stderr).toBe(0);

  const [boom] = await sql(db, `select * from S.jobs where task_key = 'boom'`);
  expect(boom).toMatchObject({ status: 'failed', attempts: 3, max_attempts: 3, spawned_by: dependent });
  expect(boom!.error.message).toBe('boom x');
  expect(boom!.error.stack).toMatch(/Error: boom x\n\s+at /);
  expect(boom!.message).toBe('failed on attempt 3 of 3: boom x');

  const events = await history(db, boom!.id);
  expect(events.map((e) => e.status)).toEqual(['running', 'waiting', 'running', 'waiting', 'running', 'failed']);
  expect(events[1]!.message).toBe('attempt 1 of 3 failed, retrying: boom x');
  const pid = worker.child.pid;
  expect(events.every((e) => e.node === 'exec-node' && e.pid === pid)).toBe(true);
  // Backoff: 0.3 s after the first failure, 0.6 s after the second.
  const gap = (a: number, b: number): number => events[b]!.at.getTime() - events[a]!.at.getTime();
  expect(gap(1, 2)).toBeGreaterThanOrEqual(290);
  expect(gap(3, 4)).toBeGreaterThanOrEqual(590);

  const failed = await job(db, dependent);
  expect(failed.message).toBe(`dependency outcomes.boom #${boom!.id} did not complete (failed)`);
  expect((await history(db, dependent)).at(-1)).toMatchObject({ status: 'failed', node: 'exec-node', pid });
  expect(stderr).toMatch(new RegExp(`job ${boom!.id} outcomes.boom failed after \\d+ ms: boom x`));
  // A retried attempt's line says when the next one starts, not only how long this one ran.
  expect(stderr).toMatch(new RegExp(`job ${boom!.id} outcomes.boom failed after \\d+ ms, will retry in 0\\.[0-9] s: boom x`));
});

test('a result JSON cannot hold fails the job with a message saying so', async () => {
  const id = await enqueue('outcomes', 'bigint', {});
  const run = await drain(db, WORKER_FIXTURES);
  expect(run.code).toBe(1);
  expect(run.summary).toMatchObject({ ran: 1, failed: 1 });
  const row = await job(db, id);
  expect(row.status).toBe('failed');
  expect(row.error.message).toMatch(/^the task's return value is not JSON-serialisable: .*BigInt/);
});

test('a running job whose cancellation is requested gets its signal aborted and ends as cancelled', async () => {
  const file = join(dir, 'cancel.txt');
  const id = await enqueue('counting', 'nap', { file, ms: 20_000 });
  const worker = startWorker(db, [...WORKER_FIXTURES, '--heartbeat', '200ms']);
  try {
    await waitFor('the job to start', () => lines(file).some((l) => l.startsWith(`start ${id}`)));
    const asked = Date.now();
    await sql(db, `update S.jobs set cancel_requested = true where id = $1`, [id]);
    await waitFor('the job to be cancelled', async () => (await job(db, id)).status === 'cancelled', 10_000);
    expect(Date.now() - asked).toBeLessThan(5_000);
  } finally {
    worker.child.kill('SIGTERM');
  }
  expect((await worker.exited).code).toBe(0);
  expect(lines(file)).toContain(`aborted ${id}: the job was cancelled`);
  const events = await history(db, id);
  expect(events.map((e) => e.status)).toEqual(['running', 'cancelled']);
  expect((await job(db, id)).attempts).toBe(1);
});

test('the TypeScript API: runWorker drains the queue in-process and resolves with the summary', async () => {
  const file = join(dir, 'api.txt');
  await loadTaskModules(['test/fixtures/worker/counting.ts'], { cwd: REPO_ROOT });
  await enqueueJobs(
    db.pool,
    db.schema,
    [1, 2, 3].map((n) => ({ typeKey: 'counting', taskKey: 'count', args: { file, n } })),
  );
  const events: string[] = [];
  const summary = await runWorker({
    pool: db.pool,
    schema: db.schema,
    tasks: registry.definitions().filter((t) => t.typeKey === 'counting'),
    untilEmpty: true,
    node: 'api-node',
    onEvent: (e) => void (e.type === 'job-end' && events.push(`${e.job.id}:${e.status}`)),
  });
  expect(summary).toMatchObject({ ran: 3, completed: 3, failed: 0, tooLarge: [] });
  expect(events).toHaveLength(3);
  expect(lines(file).map((l) => l.split(' ')[0])).toEqual(['1', '2', '3']);
  // The pool was the caller's: still open.
  expect((await db.pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
});
