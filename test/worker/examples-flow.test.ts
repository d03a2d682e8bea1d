// The examples as a user runs them: the README's insert_job, the foo -> bar -> baz
// dependency chain (order, priority + 1, freshness window, the requeue cap) and write-all fan-out.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { EXAMPLE_TASKS, deployTasks, drain, history, job, sql, tempDir } from './worker-harness.js';

const db = useTestDatabase('wexamples');
const dir = tempDir();

beforeAll(async () => deployTasks(db, EXAMPLE_TASKS));

async function enqueue(typeKey: string, taskKey: string, priority: number, args: object): Promise<string> {
  const [row] = await sql(db, `select job_id from S.enqueue($1, $2, $3, $4)`, [typeKey, taskKey, priority, JSON.stringify(args)]);
  return String(row!.job_id);
}

test('the README flow: call insert_job, then jm run --until-empty writes 2 to the file', async () => {
  const file = join(dir, 'sum.txt');
  await db.pool.query(`call "${db.schema}".insert_job('things1', 'foo', 10, $1::json)`, [JSON.stringify({ file_path: file, number: 2 })]);
  const run = await drain(db, EXAMPLE_TASKS);
  expect(run.code, run.stderr).toBe(0);
  expect(readFileSync(file, 'utf8')).toBe('2');
  expect(run.summary).toMatchObject({ ran: 1, completed: 1, failed: 0 });
});

describe('dependencies (nice_tasks: baz needs foo and bar, bar needs foo)', () => {
  const file = join(dir, 'nice.txt');
  let bazId: string;

  test('enqueueing baz alone runs foo, then bar, then baz; dependency jobs go in at priority + 1', async () => {
    bazId = await enqueue('nice_tasks', 'baz', 5, { file_path: file });
    const run = await drain(db, EXAMPLE_TASKS);
    expect(run.code, run.stderr).toBe(0);
    const rows = await sql(
      db,
      `select id, task_key, priority, spawned_by, status, started_at, result from S.jobs
                                 where type_key = 'nice_tasks' order by started_at`,
    );
    expect(rows.map((r) => r.task_key)).toEqual(['foo', 'bar', 'baz']);
    expect(rows.every((r) => r.status === 'complete')).toBe(true);
    const [foo, bar, baz] = rows;
    expect(foo!.priority).toBe(6);
    expect(bar!.priority).toBe(6);
    expect(String(foo!.spawned_by)).toBe(bazId);
    expect(String(bar!.spawned_by)).toBe(bazId);
    // foo wrote 10, bar added 5 and appended its default letter; baz read it back.
    expect(baz!.result).toBe('15A');
    expect(run.summary).toMatchObject({ ran: 3, completed: 3, spawned: 2 });
    // baz went back to waiting on its dependencies before it ran, and its history says so.
    const events = await history(db, bazId);
    expect(events[0]).toMatchObject({ status: 'waiting', message: expect.stringMatching(/^waiting for dependency jobs \d+, \d+$/) });
    expect(events.at(-1)!.status).toBe('complete');
  });

  test('a matching dependency job already waiting, or running, is waited for instead of inserted again', async () => {
    const path = join(dir, 'twin.txt');
    const claim = (task: string): Promise<Array<Record<string, unknown>>> =>
      sql(db, `select id::text, action from S.claim_jobs('twin-worker', 'twin-node', 1, 10000, 10, 60, $1::text[])`, [[task]]);
    const fooJobs = async (): Promise<number> =>
      (await sql(db, `select id from S.jobs where type_key = 'nice_tasks' and task_key = 'foo' and arguments ->> 'file_path' = $1`, [path]))
        .length;
    // bar needs foo with the same file and number 10: a waiting one is there.
    const foo = await enqueue('nice_tasks', 'foo', 0, { file_path: path, number: 10 });
    const bar = await enqueue('nice_tasks', 'bar', 0, { file_path: path, number: 5 });
    expect(await claim('nice_tasks.bar')).toEqual([{ id: bar, action: 'waiting' }]);
    expect((await job(db, bar)).waiting_for).toEqual([foo]);
    // Once foo runs, another bar for the file waits for the running foo.
    expect(await claim('nice_tasks.foo')).toEqual([{ id: foo, action: 'run' }]);
    const bar2 = await enqueue('nice_tasks', 'bar', 0, { file_path: path, number: 6 });
    expect(await claim('nice_tasks.bar')).toEqual([{ id: bar2, action: 'waiting' }]);
    expect((await job(db, bar2)).waiting_for).toEqual([foo]);
    expect(await fooJobs()).toBe(1);
    await sql(db, `delete from S.jobs where id = any ($1::bigint[])`, [[foo, bar, bar2]]);
  });

  test('a completion older than the freshness window does not satisfy a dependency', async () => {
    // baz wants foo within 2 hours and bar within 2 hours: backdate foo only.
    await sql(db, `update S.jobs set finished_at = now() - interval '3 hours' where task_key = 'foo' and type_key = 'nice_tasks'`);
    const again = await enqueue('nice_tasks', 'baz', 0, { file_path: file });
    const run = await drain(db, EXAMPLE_TASKS);
    expect(run.code, run.stderr).toBe(0);
    const foos = await sql(db, `select id, spawned_by, status from S.jobs where type_key = 'nice_tasks' and task_key = 'foo' order by id`);
    expect(foos).toHaveLength(2);
    expect(String(foos[1]!.spawned_by)).toBe(again);
    // bar's completion is fresh, so it is not run again.
    const bars = await sql(db, `select id from S.jobs where type_key = 'nice_tasks' and task_key = 'bar'`);
    expect(bars).toHaveLength(1);
    expect((await job(db, again)).status).toBe('complete');
  });

  test('a job at the highest priority has its dependencies inserted at that priority, not one above it', async () => {
    const top = await enqueue('nice_tasks', 'baz', 2_147_483_647, { file_path: join(dir, 'top.txt') });
    const run = await drain(db, EXAMPLE_TASKS);
    expect(run.code, run.stderr).toBe(0);
    const rows = await sql(db, `select task_key, priority, status from S.jobs where id = $1 or spawned_by = $1 order by id`, [top]);
    expect(rows).toEqual([
      { task_key: 'baz', priority: 2_147_483_647, status: 'complete' },
      { task_key: 'foo', priority: 2_147_483_647, status: 'complete' },
      { task_key: 'bar', priority: 2_147_483_647, status: 'complete' },
    ]);
  });

  test('a job whose dependencies stay unmet fails after the requeue cap instead of looping', async () => {
    const stuck = await enqueue('nice_tasks', 'baz', 0, { file_path: join(dir, 'never.txt') });
    await sql(db, `update S.jobs set dependency_requeues = 20 where id = $1`, [stuck]);
    const run = await drain(db, EXAMPLE_TASKS);
    expect(run.code).toBe(1);
    const row = await job(db, stuck);
    expect(row.status).toBe('failed');
    expect(row.message).toMatch(/^dependencies still unmet after 20 checks \(waiting for jobs \d+, \d+\); giving up$/);
    expect(run.stderr).toMatch(/1 job failed for good/);
  });
});

test('fan-out: "ALL" over two write-all parameters yields exactly the 6 combinations', async () => {
  const parent = await enqueue('reports', 'extract', 3, { region: 'ALL', format: 'ALL', year: 2026 });
  const run = await drain(db, EXAMPLE_TASKS);
  expect(run.code, run.stderr).toBe(0);
  const children = await sql(db, `select arguments, priority, status from S.jobs where spawned_by = $1`, [parent]);
  const combos = children.map((c) => `${c.arguments.region}/${c.arguments.format}/${c.arguments.year}`).sort();
  expect(combos).toEqual(['asia/csv/2026', 'asia/json/2026', 'eu/csv/2026', 'eu/json/2026', 'us/csv/2026', 'us/json/2026']);
  expect(children.every((c) => c.priority === 3 && c.status === 'complete')).toBe(true);
  const row = await job(db, parent);
  expect(row.status).toBe('complete');
  expect(row.message).toBe('fanned out into 6 jobs (6 new)');
  expect(run.summary).toMatchObject({ fannedOut: 1, spawned: 6, ran: 6, completed: 6 });
});

test('one claim by a worker that knows every task: plain jobs run, and a fan-out job waiting among them still fans out', async () => {
  // Rolled back, so the jobs it claims do not reach the other tests.
  const client = await db.pool.connect();
  const claim = async (): Promise<Array<{ task: string; action: string }>> => {
    const { rows } = await client.query(
      `select type_key || '.' || task_key as task, action from "${db.schema}".claim_jobs('mixed-worker', 'mixed-node', 1, 10000, 10, 60, null)
        order by action, task`,
    );
    return rows;
  };
  try {
    await client.query('begin');
    const things = (n: number): string =>
      `select "${db.schema}".enqueue('things1', 'foo', 0, '{"file_path": "/dev/null", "number": ${n}}')`;
    // Only plain jobs waiting: the worker's fan-out and dependency tasks change nothing.
    await client.query(things(1));
    await client.query(things(2));
    expect(await claim()).toEqual([
      { task: 'things1.foo', action: 'run' },
      { task: 'things1.foo', action: 'run' },
    ]);
    // A fan-out job and a plain one: the fan-out job is handled by the database, not run.
    await client.query(`select "${db.schema}".enqueue('reports', 'extract', 0, '{"region": "ALL", "format": "csv", "year": 2027}')`);
    await client.query(things(3));
    expect(await claim()).toEqual([
      { task: 'reports.extract', action: 'fanned_out' },
      { task: 'things1.foo', action: 'run' },
    ]);
  } finally {
    await client.query('rollback');
    client.release();
  }
});
