// Upgrading a deployed schema: `jm deploy` applies only the migrations it lacks, and the
// history written by an older version reads the same afterwards.
import { expect, test } from 'vitest';
import { loadMigrations } from '../../packages/jobmaster/src/db/migrations.js';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('upgrade');

const s = `"${db.schema}"`;

/** The test schema as a deploy of that version left it: its migrations, and their record. */
async function schemaAtVersion(version: number): Promise<void> {
  await db.pool.query(`drop schema if exists ${s} cascade`);
  await db.pool.query(`create schema ${s}`);
  for (const migration of (await loadMigrations(db.schema)).filter((m) => m.id <= version)) {
    await db.pool.query(migration.sql);
  }
  await db.pool.query(
    `create table ${s}.migrations (id integer primary key, name text not null, applied_at timestamptz not null default now())`,
  );
  await db.pool.query(`insert into ${s}.migrations (id, name) select g, 'v' || g from generate_series(1, $1) g`, [version]);
}

test('a schema from version 4 upgrades with each job history shown once', async () => {
  // Version 4 as it was deployed, and a job that ran and completed, which wrote a history
  // row for its start and one for its completion.
  await schemaAtVersion(4);
  await db.pool.query(`insert into ${s}.tasks (type_key, task_key) values ('things1', 'foo')`);
  const { rows } = await db.pool.query<{ id: string }>(
    `insert into ${s}.jobs (type_key, task_key, arguments, process_units, max_attempts, status, attempts, node, pid,
                            started_at, finished_at)
     values ('things1', 'foo', '{}', 1, 3, 'complete', 2, 'old-node', 7, '2026-11-01 10:03Z', '2026-11-01 10:04Z')
     returning id`,
  );
  const id = rows[0]!.id;
  await db.pool.query(
    `insert into ${s}.job_events (job_id, at, status, node, pid, message) values
       ($1, '2026-11-01 10:01Z', 'running', 'old-node', 7, 'attempt 1 of 3'),
       ($1, '2026-11-01 10:02Z', 'waiting', 'old-node', 7, 'attempt 1 of 3 failed, retrying: boom'),
       ($1, '2026-11-01 10:03Z', 'running', 'old-node', 7, 'attempt 2 of 3'),
       ($1, '2026-11-01 10:04Z', 'complete', 'old-node', 7, null)`,
    [id],
  );

  const deployed = await runJm(['deploy', ...dbFlags(db), '--tasks', 'test/fixtures/deploy/v1/*.ts']);
  expect(deployed.code, deployed.stderr).toBe(0);

  const { rows: history } = await db.pool.query(`select status, message from ${s}.job_history($1)`, [id]);
  expect(history).toEqual([
    { status: 'running', message: 'attempt 1 of 3' },
    { status: 'waiting', message: 'attempt 1 of 3 failed, retrying: boom' },
    { status: 'running', message: 'attempt 2 of 3' },
    { status: 'complete', message: null },
  ]);
});

test('a schema from version 7 upgrades with the completions of dependency tasks counting for their dependents', async () => {
  // Version 7 with sink depending on source, and source 1 completed a minute ago.
  await schemaAtVersion(7);
  await db.pool.query(`insert into ${s}.tasks (type_key, task_key) values ('chain', 'source'), ('chain', 'sink')`);
  await db.pool.query(
    `insert into ${s}.task_parameters (type_key, task_key, name, position, json_type, required)
     values ('chain', 'source', 'n', 0, 'integer', true), ('chain', 'sink', 'n', 0, 'integer', true)`,
  );
  await db.pool.query(
    `insert into ${s}.task_dependencies (type_key, task_key, position, depends_on_type_key, depends_on_task_key, freshness, arguments)
     values ('chain', 'sink', 0, 'chain', 'source', interval '1 hour', '{"n": {"ops": [], "kind": "same", "parameter": "n"}}')`,
  );
  await db.pool.query(
    `insert into ${s}.jobs (type_key, task_key, arguments, process_units, max_attempts, status, attempts, started_at, finished_at)
     values ('chain', 'source', '{"n": 1}', 1, 3, 'complete', 1, now() - interval '61 seconds', now() - interval '1 minute')`,
  );

  const deployed = await runJm(['deploy', ...dbFlags(db), '--tasks', 'test/fixtures/dependencies/after/chain.ts']);
  expect(deployed.code, deployed.stderr).toBe(0);

  // sink 1 runs on source 1's completion from before the upgrade; sink 2 waits for a new source.
  await db.pool.query(`select ${s}.enqueue('chain', 'sink', 0, '{"n": 1}'), ${s}.enqueue('chain', 'sink', 0, '{"n": 2}')`);
  const { rows } = await db.pool.query(
    `select arguments ->> 'n' as n, action from ${s}.claim_jobs('w', 'node', 1, 100, 10, 60, array['chain.sink']) order by 1`,
  );
  expect(rows).toEqual([
    { n: '1', action: 'run' },
    { n: '2', action: 'waiting' },
  ]);
});
