// A worker draining a backlog keeps a second claim in flight behind the first. Three such
// workers on one node, each with its own connections, race for the same jobs: every job
// still runs exactly once and the node's budget is never exceeded. A budget that one batch
// fills gets no second claim, which could only come back empty.
import { enqueueJobs, loadTaskModules, registry, Worker } from 'jobmaster';
import pg from 'pg';
import { beforeAll, expect, test } from 'vitest';
import { REPO_ROOT } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';
import { WORKER_FIXTURES, deployTasks, sql } from './worker-harness.js';

const db = useTestDatabase('wflight');
const BUDGET = 40;
const JOBS = 1500;

beforeAll(async () => {
  await deployTasks(db, WORKER_FIXTURES);
  await loadTaskModules(['test/fixtures/worker/units.ts'], { cwd: REPO_ROOT });
});

/** A pool that counts how many claim_jobs calls are in flight at once (the most seen). */
function countingPool(): { pool: pg.Pool; mostClaims: () => number } {
  const pool = new pg.Pool({ connectionString: db.url, max: 8 });
  let claims = 0;
  let most = 0;
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  pool.query = (async (...args: unknown[]) => {
    const isClaim = typeof args[0] === 'string' && args[0].includes('.claim_jobs(');
    if (isClaim) most = Math.max(most, ++claims);
    try {
      return await query(...args);
    } finally {
      if (isClaim) claims--;
    }
  }) as typeof pool.query;
  return { pool, mostClaims: () => most };
}

test('workers with two claims in flight run every job exactly once and never exceed the node budget', async () => {
  await enqueueJobs(
    db.pool,
    db.schema,
    Array.from({ length: JOBS }, (_, n) => ({ typeKey: 'units', taskKey: 'one', args: { n, ms: 0 } })),
  );
  const ran: number[] = [];
  let sampling = true;
  const samples: number[] = [];
  const sampler = (async () => {
    while (sampling) {
      const [row] = await sql<{ units: number | null }>(db, `select sum(process_units)::int as units from S.jobs where status = 'running'`);
      samples.push(row!.units ?? 0);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();

  const pools = [countingPool(), countingPool(), countingPool()];
  const tasks = registry.definitions().filter((t) => t.typeKey === 'units' && t.taskKey === 'one');
  try {
    const summaries = await Promise.all(
      pools.map(({ pool }) =>
        new Worker({
          pool,
          schema: db.schema,
          tasks,
          node: 'flight-node',
          processUnits: BUDGET,
          concurrency: 4,
          // Small batches, so each worker has a backlog of full batches to claim.
          claimBatchSize: 10,
          untilEmpty: true,
          onEvent: (e) => void (e.type === 'job-end' && e.status === 'complete' && ran.push(Number(e.job.arguments.n))),
        }).run(),
      ),
    );
    expect(summaries.reduce((sum, s) => sum + s.completed, 0)).toBe(JOBS);
  } finally {
    sampling = false;
    await sampler;
    await Promise.all(pools.map(({ pool }) => pool.end()));
  }

  expect(ran).toHaveLength(JOBS);
  expect(new Set(ran).size).toBe(JOBS);
  expect(Math.max(...samples)).toBeLessThanOrEqual(BUDGET);
  // The second claim was really in flight beside the first, in at least one worker.
  expect(Math.max(...pools.map((p) => p.mostClaims()))).toBe(2);
  const counts = await sql(db, `select status, count(*)::int as n from S.jobs where task_key = 'one' group by status`);
  expect(counts).toEqual([{ status: 'complete', n: JOBS }]);
});

test('a worker whose budget one batch fills keeps a single claim in flight', async () => {
  await enqueueJobs(
    db.pool,
    db.schema,
    Array.from({ length: 300 }, (_, n) => ({ typeKey: 'units', taskKey: 'one', args: { n: JOBS + n, ms: 0 } })),
  );
  const { pool, mostClaims } = countingPool();
  try {
    const summary = await new Worker({
      pool,
      schema: db.schema,
      tasks: registry.definitions().filter((t) => t.typeKey === 'units' && t.taskKey === 'one'),
      node: 'small-node',
      processUnits: 10,
      concurrency: 4,
      claimBatchSize: 10,
      untilEmpty: true,
    }).run();
    expect(summary.completed).toBe(300);
  } finally {
    await pool.end();
  }
  expect(mostClaims()).toBe(1);
});
