// A worker that runs only some of the tasks (jm run --tasks a subset) shares the queue with
// the others' backlogs: its claims must not grow with them.
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import {
  WORKER_FIXTURES,
  deployTasks,
  expectEachRanOnceAcrossProcesses,
  rowsRead,
  runCountJobs,
  sql,
  startWorker,
  stopWorkers,
  tempDir,
  waitForWorkers,
} from './worker-harness.js';

const db = useTestDatabase('wsubset');
const dir = tempDir();
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

/** Rows of jobs read by a claim of up to 100 jobs of these tasks (rolled back), and how many it claimed. */
async function claimReads(tasks: string[]): Promise<{ read: number; claimed: number }> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query('begin');
    const before = await rowsRead(client, db.schema);
    const { rows } = await client.query(
      `select id from "${db.schema}".claim_jobs('subset-worker', 'subset-node', 1, 10000, 100, 60, $1::text[])`,
      [tasks],
    );
    const read = (await rowsRead(client, db.schema)) - before;
    await client.query('rollback');
    return { read, claimed: rows.length };
  } finally {
    await client.end();
  }
}

// Reading through the other task's 200,000 waiting jobs read them all; a probe per task reads a few.
const FEW = 1_000;

test("a worker whose tasks have no job due reads a few rows to find that out, however large another task's backlog", async () => {
  expect((await claimReads(['units.one'])).claimed).toBe(100);
  const idleWorker = await claimReads(['units.three', 'units.five', 'counting.count']);
  expect(idleWorker.claimed).toBe(0);
  expect(idleWorker.read).toBeLessThan(FEW);
});

test("a worker whose tasks have jobs due claims them without reading through another task's backlog", async () => {
  const due = await sql(
    db,
    `select e.job_id from unnest(array[1, 2, 3]) n, S.enqueue('units', 'three', 0, jsonb_build_object('n', n, 'ms', 0)) e`,
  );
  try {
    const worker = await claimReads(['units.three', 'units.five']);
    expect(worker.claimed).toBe(3);
    expect(worker.read).toBeLessThan(FEW);
  } finally {
    await sql(db, `delete from S.jobs where id = any ($1::bigint[])`, [due.map((r) => r.job_id)]);
  }
});

test("a worker's tasks are merged in claim order: higher priority first across tasks, then oldest, up to the limit", async () => {
  const enqueue = async (taskKey: string, n: number, priority: number): Promise<string> => {
    const [row] = await sql(db, `select job_id from S.enqueue('units', $1, $2, jsonb_build_object('n', $3::int, 'ms', 0))`, [
      taskKey,
      priority,
      n,
    ]);
    return String(row!.job_id);
  };
  const ids = [
    await enqueue('three', 1, 1),
    await enqueue('five', 2, 5),
    await enqueue('three', 3, 5),
    await enqueue('five', 4, 0),
    await enqueue('three', 5, 9),
  ];
  const [low3, mid5, mid3, , top3] = ids;
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query(
      `select id::text, task_key, priority from "${db.schema}".claim_jobs('subset-worker', 'subset-node', 1, 10000, 4, 60, $1::text[])`,
      [['units.three', 'units.five']],
    );
    expect(rows.map((r) => r.id)).toEqual([top3, mid5, mid3, low3]);
    await client.query('rollback');
  } finally {
    client.release();
    await sql(db, `delete from S.jobs where id = any ($1::bigint[])`, [ids]);
  }
});

test("3 workers of one task on 3 nodes, racing behind another task's backlog: every job runs exactly once", async () => {
  const file = join(dir, 'executions.txt');
  const total = 1500;
  // Each loads only counting.ts, so each merges its tasks' heads instead of reading the claim-order index.
  const workers = [1, 2, 3].map((n) =>
    startWorker(db, ['--tasks', 'test/fixtures/worker/counting.ts', '--node', `subset-node-${n}`, '--concurrency', '8']),
  );
  await waitForWorkers(db, 3);
  await runCountJobs(db, file, total);
  await stopWorkers(workers);
  expectEachRanOnceAcrossProcesses(file, total);
  // The other task's backlog is untouched.
  const [backlog] = await sql(db, `select count(*)::int as n from S.jobs where task_key = 'one' and status = 'waiting'`);
  expect(backlog!.n).toBe(BACKLOG);
});
