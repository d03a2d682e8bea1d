// `@task({ next })`: a completed job's result becomes the arguments of a job of the next
// task, enqueued in the completion's own transaction and validated by the next task's rules.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';
import { drain, sql, tempDir } from '../worker/worker-harness.js';

const db = useTestDatabase('chain');
const CHAIN = ['--tasks', 'test/fixtures/workflow/chain/chain.ts'];
const log = join(tempDir(), 'chain.log');

async function enqueue(task: string, json: string, extra: string[] = []): Promise<string> {
  const result = await runJm(['enqueue', 'chain', task, '--json', json, ...extra, ...dbFlags(db), ...CHAIN]);
  expect(result.stderr).toBe('');
  return result.stdout.trim().match(/\d+/)![0];
}

async function jobsOf(task: string): Promise<Record<string, any>[]> {
  return await sql(
    db,
    `select id::text, status, arguments, priority, spawned_by::text, message from S.jobs where task_key = $1 order by id`,
    [task],
  );
}

beforeAll(async () => {
  const deployed = await runJm(['deploy', ...dbFlags(db), ...CHAIN]);
  expect(deployed.stderr).toBe('');
});

describe('deploy', () => {
  test("stores each task's next task, and jm tasks shows it", async () => {
    const rows = await sql(db, `select task_key, next_type_key, next_task_key from S.tasks where type_key = 'chain' order by task_key`);
    expect(Object.fromEntries(rows.map((r) => [r.task_key, r.next_task_key && `${r.next_type_key}.${r.next_task_key}`]))).toEqual({
      count: 'chain.store',
      fetch: 'chain.count',
      ping: null,
      quiet: 'chain.ping',
      scalar: 'chain.store',
      store: null,
      wrongType: 'chain.store',
    });
    const tasks = await runJm(['tasks', ...CHAIN]);
    expect(tasks.stdout).toContain('then chain.count, with the result as its arguments');
  });

  test('refuses a next task that does not exist and a chain that comes back on itself, writing nothing', async () => {
    const before = await sql(db, `select count(*)::int as n from S.tasks`);
    const result = await runJm(['deploy', ...dbFlags(db), '--tasks', 'test/fixtures/workflow/chain-invalid/chain_invalid.ts']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('chain_invalid.lost: next names unknown task chain_invalid.nowhere');
    expect(result.stderr).toContain('Next-task cycle: chain_invalid.a → chain_invalid.b → chain_invalid.a');
    expect(await sql(db, `select count(*)::int as n from S.tasks`)).toEqual(before);
  });
});

describe('a completed job enqueues its next task', () => {
  test('the result flows down the chain as arguments, each job spawned by the one before, at its priority', async () => {
    const first = await enqueue('fetch', '{"url": "https://example.test/a"}', ['--priority', '7']);
    const { code } = await drain(db, CHAIN, { CHAIN_LOG: log });
    expect(code).toBe(0);
    const [count] = await jobsOf('count');
    expect(count).toMatchObject({
      status: 'complete',
      arguments: { words: 22, source: 'https://example.test/a' },
      priority: 7,
      spawned_by: first,
    });
    const [store] = await jobsOf('store');
    expect(store).toMatchObject({ status: 'complete', arguments: { total: 44, unit: 'words' }, priority: 7, spawned_by: count!.id });
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      'fetch https://example.test/a',
      'count https://example.test/a 22',
      'store 44 words',
    ]);
  });

  test('a job that returns nothing runs its next task without arguments', async () => {
    const quiet = await enqueue('quiet', '{}');
    await drain(db, CHAIN);
    const [ping] = await jobsOf('ping');
    expect(ping).toMatchObject({ status: 'complete', arguments: {}, spawned_by: quiet });
  });

  test('a result the next task refuses fails the job, naming the next task and the parameter; no next job is made', async () => {
    const wrong = await enqueue('wrongType', '{}');
    const scalar = await enqueue('scalar', '{}');
    const storesBefore = (await jobsOf('store')).length;
    const { summary } = await drain(db, CHAIN);
    expect(summary).toMatchObject({ completed: 0, failed: 2 });
    const [wrongJob] = await sql(db, `select status, message from S.jobs where id = $1`, [wrong]);
    expect(wrongJob!.status).toBe('failed');
    expect(wrongJob!.message).toBe(
      'completed, but next task chain.store refused its result: parameter "total" must be a number, got "many"',
    );
    const [scalarJob] = await sql(db, `select status, message from S.jobs where id = $1`, [scalar]);
    expect(scalarJob).toEqual({
      status: 'failed',
      message: 'completed, but next task chain.store refused its result: its result is a number, not an object of arguments',
    });
    expect(await jobsOf('store')).toHaveLength(storesBefore);
    const events = await sql(db, `select status, message from S.job_history($1)`, [wrong]);
    expect(events.at(-1)).toMatchObject({ status: 'failed' });
  });

  test("the next job is written by the completion's own transaction: rolled back together", async () => {
    const fetch = await enqueue('fetch', '{"url": "rollback"}');
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await client.query(
        `update "${db.schema}".jobs set status = 'running', worker_id = 'w', attempts = 1, started_at = now() where id = $1`,
        [fetch],
      );
      const notDone = await client.query(
        `select * from "${db.schema}".complete_jobs('w', array[$1::bigint], '[{"words": 1, "source": "rollback"}]')`,
        [fetch],
      );
      expect(notDone.rows).toEqual([]);
      const inside = await client.query(`select arguments from "${db.schema}".jobs where task_key = 'count' and spawned_by = $1`, [fetch]);
      expect(inside.rows).toEqual([{ arguments: { words: 1, source: 'rollback' } }]);
      await client.query('rollback');
    } finally {
      client.release();
    }
    expect(await sql(db, `select count(*)::int as n from S.jobs where spawned_by = $1`, [fetch])).toEqual([{ n: 0 }]);
    expect((await sql(db, `select status from S.jobs where id = $1`, [fetch]))[0]!.status).toBe('waiting');
  });

  test('a result identical to a waiting job of the next task meets that job instead of doubling it', async () => {
    const waiting = await enqueue('store', '{"total": 1000}', ['--run-at', '2999-01-01T00:00:00Z']);
    await enqueue('count', '{"words": 500, "source": "twin"}');
    await drain(db, CHAIN);
    const stores = (await jobsOf('store')).filter((j) => j.arguments.total === 1000);
    expect(stores.map((s) => s.id)).toEqual([waiting]);
  });
});
