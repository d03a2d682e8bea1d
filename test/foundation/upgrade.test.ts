// Upgrading a deployed schema: `jm deploy` applies only the migrations it lacks and brings
// every function to its current definition, and what an older version wrote reads the same
// afterwards. Old schemas are built from the migrations exactly as each version released
// them, functions included (test/fixtures/released-migrations), not from today's files.
import { fileURLToPath } from 'node:url';
import { deploy } from 'jobmaster';
import { expect, test } from 'vitest';
import { readSqlFiles } from '../../packages/jobmaster/src/db/sql-files.js';
import { dbFlags, runJm } from '../support/run-jm.js';
import { dumpSchema } from '../support/schema-dump.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('upgrade');

const s = `"${db.schema}"`;
const RELEASED = fileURLToPath(new URL('../fixtures/released-migrations', import.meta.url));
/** The newest schema version released before functions moved to sql/functions. */
const LAST_RELEASED = 9;

/** The test schema as a deploy of that version left it: its migrations as released, and their record. */
async function schemaAtVersion(version: number): Promise<void> {
  await db.pool.query(`drop schema if exists ${s} cascade`);
  await db.pool.query(`create schema ${s}`);
  for (const migration of await readSqlFiles(RELEASED, /^\d{4}_.*\.sql$/, db.schema)) {
    if (Number(migration.name.slice(0, 4)) <= version) await db.pool.query(migration.sql);
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

test.each([1, 4, 7, LAST_RELEASED])('a schema from version %i upgrades to exactly what a fresh deploy creates', async (version) => {
  const fresh = `${db.schema}_fresh`;
  await db.pool.query(`drop schema if exists "${fresh}" cascade`);
  await deploy(db.pool, { schema: fresh, definitions: [] });
  const expected = (await dumpSchema(db.pool, fresh)).split(fresh).join(db.schema);
  await db.pool.query(`drop schema "${fresh}" cascade`);

  await schemaAtVersion(version);
  await deploy(db.pool, { schema: db.schema, definitions: [] });
  expect(await dumpSchema(db.pool, db.schema)).toBe(expected);
});

test('a deploy drops the functions no file defines any more and replaces one whose result type changed', async () => {
  await schemaAtVersion(LAST_RELEASED);
  // Left by an older version, or by a change of signature: nothing defines these now.
  await db.pool.query(`create function ${s}.dependencies_met(text, text, jsonb) returns boolean language sql as 'select true'`);
  await db.pool.query(`drop function ${s}.job_history(bigint)`);
  await db.pool.query(`create function ${s}.job_history(p_id bigint) returns setof text language sql as 'select null::text'`);
  await deploy(db.pool, { schema: db.schema, definitions: [] });
  const { rows } = await db.pool.query<{ name: string; result: string }>(
    `select p.proname as name, pg_get_function_result(p.oid) as result from pg_proc p
      where p.pronamespace = $1::regnamespace and p.proname in ('dependencies_met', 'job_history')`,
    [db.schema],
  );
  expect(rows).toEqual([{ name: 'job_history', result: expect.stringContaining('TABLE(at timestamp with time zone') }]);
});
