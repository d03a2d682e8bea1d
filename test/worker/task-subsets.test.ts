// A worker that runs only some of the tasks (jm run --tasks a subset) shares the queue with
// the others' backlogs: its claims must not grow with them.
import { beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { WORKER_FIXTURES, deployTasks, sql } from './worker-harness.js';

const db = useTestDatabase('wsubset');
const BACKLOG = 200_000;

beforeAll(async () => {
  await deployTasks(db, WORKER_FIXTURES);
  // Another task's backlog, written straight in SQL (validation is not what this is about).
  await sql(
    db,
    `insert into S.jobs (type_key, task_key, arguments, process_units, max_attempts)
     select 'units', 'one', jsonb_build_object('n', g, 'ms', 0), 1, 3 from generate_series(1, $1) g`,
    [BACKLOG],
  );
  await sql(db, `analyze S.jobs`);
}, 60_000);

/** Median milliseconds of a claim of up to 100 jobs of these tasks, rolled back each time. */
async function claimMs(tasks: string[]): Promise<{ ms: number; claimed: number }> {
  const client = await db.pool.connect();
  const times: number[] = [];
  let claimed = 0;
  try {
    for (let i = 0; i < 5; i++) {
      await client.query('begin');
      const started = performance.now();
      const { rows } = await client.query(
        `select id from "${db.schema}".claim_jobs('subset-worker', 'subset-node', 1, 10000, 100, 60, $1::text[])`,
        [tasks],
      );
      times.push(performance.now() - started);
      claimed = rows.length;
      await client.query('rollback');
    }
  } finally {
    client.release();
  }
  times.sort((a, b) => a - b);
  return { ms: times[2]!, claimed };
}

test("a worker whose tasks have no job due answers at once, however large another task's backlog", async () => {
  const backlogWorker = await claimMs(['units.one']);
  expect(backlogWorker.claimed).toBe(100);
  // Reading through the other task's 200,000 waiting jobs took ~70 ms here; a probe per task is well under 1 ms.
  const idleWorker = await claimMs(['units.three', 'units.five', 'counting.count']);
  expect(idleWorker.claimed).toBe(0);
  expect(idleWorker.ms).toBeLessThan(Math.max(15, 5 * backlogWorker.ms));
});

test('a worker with one job due among its tasks still claims it behind the backlog', async () => {
  const [due] = await sql(db, `select job_id from S.enqueue('units', 'three', 0, '{"n": 1, "ms": 0}')`);
  try {
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query(
        `select id::text from "${db.schema}".claim_jobs('subset-worker', 'subset-node', 1, 10000, 100, 60, $1::text[])`,
        [['units.three', 'units.five']],
      );
      expect(rows).toEqual([{ id: String(due!.job_id) }]);
      await client.query('rollback');
    } finally {
      client.release();
    }
  } finally {
    await sql(db, `delete from S.jobs where id = $1`, [due!.job_id]);
  }
});
