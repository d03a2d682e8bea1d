// Dependency checks read the latest completions of the tasks something depends on: a task
// that becomes a dependency at deploy brings its past completions along, a pruned completion
// counts no more, and a check costs the same however many times the dependency's task ran.
import pg from 'pg';
import { beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { deployTasks, drain, rowsRead, sql } from './worker-harness.js';

const db = useTestDatabase('wdeplookup');
const BEFORE = ['--tasks', 'test/fixtures/dependencies/before/chain.ts'];
const AFTER = ['--tasks', 'test/fixtures/dependencies/after/chain.ts'];

beforeAll(async () => deployTasks(db, BEFORE));

async function enqueue(taskKey: 'source' | 'sink' | 'digest', n: number): Promise<string> {
  const args = taskKey === 'digest' ? { m: n } : { n };
  const [row] = await sql(db, `select job_id from S.enqueue('chain', $1, 0, $2)`, [taskKey, JSON.stringify(args)]);
  return String(row!.job_id);
}

/** How many source jobs there are for each n asked about. */
async function sourceJobs(...ns: number[]): Promise<number[]> {
  const rows = await sql(
    db,
    `select (arguments ->> 'n')::int as n, count(*)::int as jobs from S.jobs
      where type_key = 'chain' and task_key = 'source' and (arguments ->> 'n')::int = any ($1::int[]) group by 1`,
    [ns],
  );
  return ns.map((n) => rows.find((r) => r.n === n)?.jobs ?? 0);
}

test('a task that becomes a dependency at deploy counts its completions from before the deploy', async () => {
  await enqueue('source', 1);
  expect((await drain(db, BEFORE)).summary).toMatchObject({ ran: 1, completed: 1 });

  await deployTasks(db, AFTER);
  await enqueue('sink', 1);
  await enqueue('sink', 2);
  const run = await drain(db, AFTER);
  expect(run.code, run.stderr).toBe(0);
  // sink 1 found source 1's completion; sink 2 had its source inserted and run first.
  expect(run.summary).toMatchObject({ ran: 3, completed: 3, spawned: 1 });
  expect(await sourceJobs(1, 2)).toEqual([1, 1]);
});

test('a pruned completion no longer satisfies a dependency', async () => {
  await sql(db, `select * from S.prune_jobs('0 seconds', 'chain', 'source')`);
  await enqueue('sink', 1);
  const run = await drain(db, AFTER);
  expect(run.code, run.stderr).toBe(0);
  expect(run.summary).toMatchObject({ ran: 2, completed: 2, spawned: 1 });
  expect(await sourceJobs(1)).toEqual([1]);
});

test('a claim of jobs that share a dependency looks it up once, not once per job', async () => {
  await enqueue('source', 0);
  expect((await drain(db, AFTER)).summary).toMatchObject({ ran: 1, completed: 1 });
  for (let m = 1; m <= 50; m++) await enqueue('digest', m);
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await client.query(`set local track_functions = 'all'`);
    const { rows } = await client.query(
      `select action from "${db.schema}".claim_jobs('digest-worker', 'digest-node', 1, 10000, 100, 60, array['chain.digest'])`,
    );
    expect(rows.map((r) => r.action)).toEqual(Array(50).fill('run'));
    const { rows: calls } = await client.query(
      `select pg_stat_get_xact_function_calls('"${db.schema}".dependency_completed(text, text, jsonb, interval)'::regprocedure)::int as n`,
    );
    expect(calls).toEqual([{ n: 1 }]);
  } finally {
    await client.query('rollback');
    client.release();
  }
});

const SOURCES = 100_000;
const WATCHED = ['jobs', 'latest_completions'];

/**
 * Enqueues 200 sinks, n from `first` on (cancelling any an earlier claim left waiting), claims
 * them in one claim, and checks that each got `action`, that each sink that waits has exactly
 * one source job for its n, and that the claim read the jobs table by key: a few rows per sink,
 * not a pass over the 100,000 sources. (Rows read, not time: a timing is no test assertion.)
 * `planner`: a setting for the claim's session, e.g. one that makes the planner prefer other joins.
 */
async function claimSinksFrom(first: number, action: 'waiting' | 'run', planner?: string): Promise<void> {
  await sql(db, `update S.jobs set status = 'cancelled', finished_at = now() where task_key = 'sink' and status = 'waiting'`);
  for (let n = first; n < first + 200; n++) await enqueue('sink', n);
  // A connection of its own, so that its statistics hold nothing but this claim's reads.
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  let read: number;
  try {
    await client.query('begin');
    if (planner) await client.query(`set local ${planner}`);
    const before = await rowsRead(client, db.schema, WATCHED);
    const { rows } = await client.query(
      `select action from "${db.schema}".claim_jobs('sink-worker', 'sink-node', 1, 10000, 1000, 60, array['chain.sink'])`,
    );
    expect(rows.map((r) => r.action)).toEqual(Array(200).fill(action));
    read = (await rowsRead(client, db.schema, WATCHED)) - before;
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    await client.end();
  }
  if (action === 'waiting') expect(await sourceJobs(first, first + 199)).toEqual([1, 1]);
  expect(read, `rows of jobs and latest_completions read by a claim of 200 sinks`).toBeLessThan(SOURCES / 10);
}

test("a claim of dependents reads a few rows per dependent however many jobs of the dependency's task wait", async () => {
  await sql(
    db,
    `insert into S.jobs (type_key, task_key, arguments, process_units, max_attempts)
     select 'chain', 'source', jsonb_build_object('n', 1000 + g), 1, 3 from generate_series(1, $1) g`,
    [SOURCES],
  );
  await sql(db, `analyze S.jobs`);
  // 200 sinks whose source is not among the 100,000 waiting: each sink waits for a new source.
  // Up to version 7 each looked through the waiting sources for one including its arguments.
  await claimSinksFrom(500, 'waiting');
  // 200 sinks whose source waits among them: each waits for that one.
  await claimSinksFrom(1001, 'waiting');
}, 60_000);

test("a claim of dependents reads a few rows per dependent however many completions the dependency's task has", async () => {
  // Statistics that say the completions are few, as they are until autovacuum next analyzes
  // the table after a burst of completions: the lookups must not depend on that.
  await sql(db, `alter table S.latest_completions set (autovacuum_enabled = off)`);
  await sql(db, `analyze S.latest_completions`);
  // Every source completes through the workers' own claim and complete (batches of 10,000),
  // so each is recorded as a worker records it.
  let claimed: number;
  do {
    const [batch] = await sql(
      db,
      `select coalesce(cardinality(c.ids), 0) as claimed,
              (select count(*)::int from S.complete_jobs('bulk', c.ids, to_jsonb(array_fill(null::int, array[cardinality(c.ids)])))
                where c.ids is not null) as lost
         from (select array_agg(id) as ids
                 from S.claim_jobs('bulk', 'bulk-node', 1, 10000, 10000, 600, array['chain.source'])) c`,
    );
    expect(batch!.lost).toBe(0);
    claimed = batch!.claimed;
  } while (claimed > 0);
  const recorded = `select count(*)::int as n from S.latest_completions where (lookup #>> '{chain,source,n}')::int > 1000`;
  expect(await sql(db, recorded)).toEqual([{ n: SOURCES }]);
  await sql(db, `analyze S.jobs`);

  // 200 sinks whose source never ran: each check misses, and each sink waits for a new source.
  // Up to version 7 every miss read the task's 100,000 completions: about 10 s for this claim.
  await claimSinksFrom(700, 'waiting');
  // 200 sinks whose source completed among the 100,000: each check hits, and they run.
  await claimSinksFrom(2001, 'run');
  // The same, with a planner that prefers hash joins, as stale statistics can make it: the
  // lookups join completions to their jobs one by one all the same (with a hash join these
  // claims read 313,504 and 513,704 rows; a CI run once read 40,082,010 in the claims above).
  await claimSinksFrom(100, 'waiting', 'enable_nestloop = off');
  await claimSinksFrom(3001, 'run', 'enable_nestloop = off');
  // It writes and completes 100,000 jobs: beside other files on 2 cores that took over 2 minutes.
}, 300_000);
