// A worker's writes about its own jobs (completions, failures, releases, cancellations,
// heartbeats) read those jobs by id. With statistics taken while few jobs ran, the planner
// would otherwise start from every running job (the lease index) and test each against the
// batch's ids: work of running jobs × batch size, seconds for batches of thousands. An
// operator's retry that an active twin blocks finds the twin by its identity. Each test
// below counts the rows of `jobs` a call reads, in a transaction that is rolled back.
import type pg from 'pg';
import { beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { EXAMPLE_TASKS, deployTasks, sql } from './worker-harness.js';

const db = useTestDatabase('woutplans');
const RUNNING = 20_000;
const BATCH = 200;
let ids: string[] = [];

beforeAll(async () => {
  await deployTasks(db, EXAMPLE_TASKS);
  // Statistics say no job runs; then every job runs, held by worker 'w'. Autovacuum is kept
  // off the table so that it cannot refresh them mid-test.
  await sql(db, `alter table S.jobs set (autovacuum_enabled = false)`);
  const rows = await sql(
    db,
    `insert into S.jobs (type_key, task_key, arguments, process_units, max_attempts)
     select 'nice_tasks', 'foo', jsonb_build_object('file_path', '/tmp/plans', 'number', g), 1, 3
       from generate_series(1, $1::int) g
     returning id::text`,
    [RUNNING],
  );
  ids = rows.map((r) => r.id);
  await sql(db, `analyze S.jobs`);
  await sql(
    db,
    `update S.jobs set status = 'running', worker_id = 'w', node = 'plans-node', pid = 1, attempts = 1,
                       started_at = now(), lease_expires_at = now() + interval '1 hour'`,
  );
}, 120_000);

/** Rows of `jobs` read (by scans and through indexes) while `call` runs, which is rolled back. */
async function rowsRead(call: (client: pg.PoolClient) => Promise<unknown>): Promise<number> {
  const client = await db.pool.connect();
  // The counters include reads not yet flushed from the session's earlier transactions.
  const counter = async (): Promise<number> => {
    const { rows } = await client.query(
      `select (coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0))::int as n
         from pg_stat_xact_user_tables where relid = $1::regclass`,
      [`"${db.schema}".jobs`],
    );
    return rows[0]?.n ?? 0;
  };
  try {
    await client.query('begin');
    const before = await counter();
    await call(client);
    return (await counter()) - before;
  } finally {
    await client.query('rollback');
    client.release();
  }
}

const batch = (): string[] => ids.slice(1000, 1000 + BATCH);
// Each job of the batch is read a few times (the update, its history row's foreign key, the
// start recorded before a failure); a plan that walked the running jobs reads 20,000 or more.
const BOUND = 10 * BATCH;

const failures = (): string => JSON.stringify(batch().map((id) => ({ id: Number(id), message: 'boom' })));
const CALLS: Array<[string, string, () => unknown[]]> = [
  ['completing', `complete_jobs('w', $1::bigint[], $2::jsonb)`, () => [batch(), JSON.stringify(batch().map(() => null))]],
  ['failing', `fail_jobs('w', $1::jsonb)`, () => [failures()]],
  ['releasing', `release_jobs('w', $1::bigint[], 'shutting down')`, () => [batch()]],
  ['cancelling', `cancel_running_jobs('w', $1::bigint[], 'cancelled')`, () => [batch()]],
  ['a heartbeat for', `heartbeat('w', $1::bigint[], 60)`, () => [batch()]],
];

test.each(CALLS)('%s a batch reads its jobs, not every running job', async (_what, call, params) => {
  const read = await rowsRead((c) => c.query(`select * from "${db.schema}".${call}`, params()));
  expect(read).toBeGreaterThan(0);
  expect(read).toBeLessThan(BOUND);
});

test("a retry blocked by a running twin finds the twin by identity, not among the task's running jobs", async () => {
  const twin = ids[5000]!;
  const read = await rowsRead(async (c) => {
    // A failed job identical to a running one: retrying it would make a second active copy.
    const { rows: failed } = await c.query(
      `insert into "${db.schema}".jobs (type_key, task_key, arguments, process_units, max_attempts, status, finished_at)
       select type_key, task_key, arguments, 1, 3, 'failed', now() from "${db.schema}".jobs where id = $1
       returning id::text`,
      [twin],
    );
    const { rows } = await c.query(`select outcome, twin_id::text from "${db.schema}".retry_jobs($1::bigint[], 'plans-node', 1)`, [
      [failed[0].id],
    ]);
    expect(rows).toEqual([{ outcome: 'duplicate', twin_id: twin }]);
  });
  expect(read).toBeLessThan(BOUND);
});

test('the calls still act on exactly the batch', async () => {
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query(`select id::text, final from "${db.schema}".fail_jobs('w', $1::jsonb)`, [failures()]);
    expect(rows.map((r) => r.id).sort()).toEqual([...batch()].sort());
    expect(rows.every((r) => r.final === false)).toBe(true);
    const { rows: counts } = await client.query(
      `select status, count(*)::int as n from "${db.schema}".jobs group by status order by status`,
    );
    expect(counts).toEqual([
      { status: 'running', n: RUNNING - BATCH },
      { status: 'waiting', n: BATCH },
    ]);
  } finally {
    await client.query('rollback');
    client.release();
  }
});
