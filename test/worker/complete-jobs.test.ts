// complete_jobs as the worker calls it since schema version 6: job ids as an array, results
// as a JSON array in the same order, and a wake-up for idle workers when a completed job
// had dependents waiting for it.
import { join } from 'node:path';
import { enqueueJobs, loadTaskModules, registry, Worker, type WorkerEvent } from 'jobmaster';
import { beforeAll, expect, test } from 'vitest';
import { REPO_ROOT } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';
import { EXAMPLE_TASKS, WORKER_FIXTURES, deployTasks, job, sql, tempDir, waitFor } from './worker-harness.js';

const db = useTestDatabase('wcomplete');
const dir = tempDir();

beforeAll(async () => {
  await deployTasks(db, [...EXAMPLE_TASKS, ...WORKER_FIXTURES]);
  await loadTaskModules(['test/fixtures/worker/units.ts'], { cwd: REPO_ROOT });
});

async function enqueue(taskKey: string, args: object): Promise<string> {
  const [row] = await sql(db, `select job_id from S.enqueue('nice_tasks', $1, 0, $2)`, [taskKey, JSON.stringify(args)]);
  return String(row!.job_id);
}

/** Claims every waiting job of these tasks as `worker`; returns the rows claim_jobs gave back. */
async function claim(worker: string, tasks: string[]): Promise<Array<{ id: string; action: string; task_key: string }>> {
  return sql(db, `select id::text, action, task_key from S.claim_jobs($1, 'complete-node', 1, 10000, 100, 60, $2)`, [worker, tasks]);
}

test('complete_jobs stores each result with its job, in the order given, and returns only the jobs the worker does not hold', async () => {
  const [a, b, c] = [
    await enqueue('foo', { file_path: join(dir, 'a'), number: 1 }),
    await enqueue('foo', { file_path: join(dir, 'b'), number: 2 }),
    await enqueue('foo', { file_path: join(dir, 'c'), number: 3 }),
  ];
  const claimed = await claim('worker-1', ['nice_tasks.foo']);
  expect(claimed.map((r) => r.id).sort()).toEqual([a, b, c].sort());

  const notDone = await sql(db, `select id::text from S.complete_jobs('worker-1', $1::bigint[], $2::jsonb) id`, [
    [c, a],
    JSON.stringify([{ for: 'c' }, 'for a']),
  ]);
  expect(notDone).toEqual([]);
  expect(await job(db, a)).toMatchObject({ status: 'complete', result: 'for a', lease_expires_at: null });
  expect(await job(db, c)).toMatchObject({ status: 'complete', result: { for: 'c' } });
  expect((await job(db, b)).status).toBe('running');

  // Another worker cannot complete b, and a completed job is not completed twice: both come back.
  const refused = await sql(db, `select id::text from S.complete_jobs('worker-2', $1::bigint[], '[null, null]') id`, [[b, a]]);
  expect(refused.map((r) => r.id).sort()).toEqual([a, b].sort());
  expect((await job(db, b)).status).toBe('running');
  expect((await job(db, a)).result).toBe('for a');
});

test('complete_jobs refuses results that do not pair one to one with the ids, and changes nothing', async () => {
  const id = await enqueue('foo', { file_path: join(dir, 'd'), number: 4 });
  await claim('worker-3', ['nice_tasks.foo']);
  for (const results of ['[1, 2]', '[]', '{"1": 1}']) {
    await expect(sql(db, `select * from S.complete_jobs('worker-3', $1::bigint[], $2::jsonb)`, [[id], results])).rejects.toThrow(
      'complete_jobs expects one result per job id, as a JSON array in the same order',
    );
  }
  expect((await job(db, id)).status).toBe('running');
});

test('completing a job that a dependent waits for notifies idle workers; completing one nobody waits for does not', async () => {
  const file = join(dir, 'e');
  const bar = await enqueue('bar', { file_path: file, number: 1 });
  // Claiming bar inserts its missing dependency foo and sends bar back to wait for it.
  expect((await claim('worker-4', ['nice_tasks.bar'])).map((r) => r.action)).toEqual(['waiting']);
  const [foo] = await claim('worker-4', ['nice_tasks.foo']);
  expect(foo!.action).toBe('run');
  expect((await job(db, bar)).waiting_for).toEqual([foo!.id]);
  const lonely = await enqueue('foo', { file_path: join(dir, 'f'), number: 5 });
  await claim('worker-5', ['nice_tasks.foo']);

  const listener = await db.pool.connect();
  const heard: string[] = [];
  listener.on('notification', (n) => heard.push(n.channel));
  try {
    await listener.query(`listen "jm:${db.schema}"`);
    await sql(db, `select * from S.complete_jobs('worker-5', $1::bigint[], '[null]')`, [[lonely]]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heard).toEqual([]);

    await sql(db, `select * from S.complete_jobs('worker-4', $1::bigint[], '[null]')`, [[foo!.id]]);
    await expect.poll(() => heard, { timeout: 5_000 }).toEqual([`jm:${db.schema}`]);
  } finally {
    await listener.query('unlisten *');
    listener.release();
  }
});

test('a worker whose job was taken from it while it ran reports the job lost and leaves it to the new holder', async () => {
  const [enqueued] = await enqueueJobs(db.pool, db.schema, [{ typeKey: 'units', taskKey: 'one', args: { n: 1, ms: 1500 } }]);
  const id = enqueued!.id;
  const ends: WorkerEvent[] = [];
  const worker = new Worker({
    pool: db.pool,
    schema: db.schema,
    tasks: registry.definitions().filter((t) => t.typeKey === 'units' && t.taskKey === 'one'),
    node: 'lost-node',
    // No heartbeat during the job: its completion is where the worker learns it was lost.
    leaseSeconds: 300,
    heartbeatInterval: 100_000,
    untilEmpty: true,
    onEvent: (e) => void (e.type === 'job-end' && ends.push(e)),
  });
  const run = worker.run();
  await waitFor('the job to start', async () => (await job(db, id)).status === 'running');
  await sql(db, `update S.jobs set worker_id = 'another-worker' where id = $1`, [id]);
  const summary = await run;

  expect(ends).toMatchObject([{ type: 'job-end', status: 'lost', job: { id } }]);
  expect(summary.completed).toBe(0);
  expect(await job(db, id)).toMatchObject({ status: 'running', worker_id: 'another-worker', result: null });
});
