// Enqueueing under hostile input, concurrency and the caller's own transactions.
import { JobMaster } from 'jobmaster';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('safety');
const TASKS = ['--tasks', 'test/fixtures/foundation/*.ts'];
const base = { label: 'a', count: 1, ratio: 1.5, flag: true, color: 'red' };
let jm: JobMaster;

beforeAll(async () => {
  expect((await runJm(['deploy', ...dbFlags(db), ...TASKS])).code).toBe(0);
  jm = new JobMaster({ pool: db.pool, schema: db.schema });
});
afterAll(async () => jm.close());

async function jobCount(): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(`select count(*)::int as n from "${db.schema}".jobs`);
  return rows[0]!.n;
}

async function schemaIsIntact(): Promise<void> {
  const { rows } = await db.pool.query(`select count(*)::int as n from "${db.schema}".tasks`);
  expect(rows[0].n).toBe(2);
}

describe('hostile input is rejected or stored inertly', () => {
  const hostile = [`'); drop schema ${'x'} cascade; --`, `"; delete from jobs; --`, "O'Brien", 'a;b', '\\x00\\', '$$ select 1 $$'];

  test.each(hostile)('as a type key or task key through the CLI: %s', async (text) => {
    const before = await jobCount();
    for (const args of [
      [text, 'everything'],
      ['shapes', text],
    ]) {
      const result = await runJm(['enqueue', ...args, '--json', JSON.stringify(base), ...dbFlags(db)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^jm: No task .* is registered/);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(await jobCount()).toBe(before);
    await schemaIsIntact();
  });

  test.each(hostile)('as a value, stored exactly as given: %s', async (text) => {
    const id = await jm.enqueue('shapes.everything', { ...base, label: text, meta: { [text]: text } });
    const { rows } = await db.pool.query(`select arguments from "${db.schema}".jobs where id = $1`, [id]);
    expect(rows[0].arguments.label).toBe(text);
    expect(rows[0].arguments.meta).toEqual({ [text]: text });
    await schemaIsIntact();
  });

  test.each(hostile)('as a parameter name through SQL: %s', async (text) => {
    await expect(
      db.pool.query(`call "${db.schema}".insert_job('shapes', 'everything', 0, $1::json)`, [JSON.stringify({ ...base, [text]: 1 })]),
    ).rejects.toThrow(/unknown parameter/);
    await schemaIsIntact();
  });

  test.each([`x"; drop schema public; --`, 'Upper', '1abc', 'a'.repeat(49), 'pg schema'])('as a schema name: %s', async (schema) => {
    const result = await runJm(['enqueue', 'shapes', 'everything', '--json', '{}', '--database-url', db.url, '--schema', schema]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^jm: Invalid schema name/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('malformed JSON is one clear line and changes nothing', async () => {
    const before = await jobCount();
    const result = await runJm(['enqueue', 'shapes', 'everything', '--json', '{"label": ', ...dbFlags(db)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^jm: shapes\.everything: --json is not valid JSON/);
    expect(await jobCount()).toBe(before);
  });

  test('a priority that is not an integer is rejected by every door', async () => {
    const cli = await runJm(['enqueue', 'shapes', 'everything', '--json', JSON.stringify(base), '--priority', '1; drop', ...dbFlags(db)]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('--priority must be an integer');
    await expect(jm.enqueue('shapes.everything', base, { priority: 1.5 })).rejects.toThrow(/priority must be an integer/);
    await expect(db.pool.query(`call "${db.schema}".insert_job('shapes', 'everything', null, '{}'::json)`)).rejects.toThrow(/priority/);
  });

  test('every door takes the whole range of priorities and nothing beyond it', async () => {
    for (const priority of [2_147_483_647, -2_147_483_648]) {
      const args = { ...base, label: `edge ${priority}` };
      const id = await jm.enqueue('shapes.everything', args, { priority });
      const cli = await runJm([
        'enqueue',
        'shapes',
        'everything',
        '--json',
        JSON.stringify({ ...args, label: `cli ${priority}` }),
        '--priority',
        String(priority),
        ...dbFlags(db),
      ]);
      expect(cli.code, cli.stderr).toBe(0);
      const { rows } = await db.pool.query(`call "${db.schema}".insert_job('shapes', 'everything', $1, $2::json)`, [
        priority,
        JSON.stringify({ ...args, label: `sql ${priority}` }),
      ]);
      const { rows: stored } = await db.pool.query(`select priority from "${db.schema}".jobs where id = any ($1::bigint[])`, [
        [id, cli.stdout.trim(), rows[0].job_id],
      ]);
      expect(stored.map((r) => r.priority)).toEqual([priority, priority, priority]);
    }
    const before = await jobCount();
    await expect(jm.enqueue('shapes.everything', base, { priority: 2_147_483_648 })).rejects.toThrow(
      /priority must be an integer between -2147483648 and 2147483647/,
    );
    const cli = await runJm([
      'enqueue',
      'shapes',
      'everything',
      '--json',
      JSON.stringify(base),
      '--priority',
      '-2147483649',
      ...dbFlags(db),
    ]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/priority must be an integer between -2147483648 and 2147483647/);
    // PostgreSQL itself refuses it: insert_job takes an integer (no procedure takes a bigint).
    await expect(db.pool.query(`call "${db.schema}".insert_job('shapes', 'everything', 2147483648, '{}'::json)`)).rejects.toThrow();
    expect(await jobCount()).toBe(before);
  });
});

describe('an unreachable database', () => {
  test.each([
    ['enqueue', 'shapes', 'everything', '--json', '{}'],
    ['deploy', ...TASKS],
  ])('is one line naming host and port, with a non-zero exit: jm %s', async (...args) => {
    const result = await runJm([...args, '--database-url', 'postgres://postgres@127.0.0.1:1/nowhere']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('127.0.0.1:1');
    expect(result.stderr).toContain('connection refused');
    expect(result.stderr).not.toMatch(/\bat .*\.js/);
  });

  test("sslmode=require: node-postgres's ten-line SECURITY WARNING is one line, and the refusal another", async () => {
    const result = await runJm([
      'enqueue',
      'shapes',
      'everything',
      '--json',
      '{}',
      '--database-url',
      'postgres://postgres@127.0.0.1:1/nowhere?sslmode=require',
    ]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^jm: note: node-postgres treats sslmode=require .* as verify-full/);
    expect(lines[1]).toContain('connection refused');
  });

  test('names a missing database', async () => {
    const url = new URL(db.url);
    url.pathname = '/no_such_database';
    const result = await runJm(['enqueue', 'shapes', 'everything', '--json', '{}', '--database-url', url.href]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the database does not exist');
  });

  test('a schema that was never deployed says to run jm deploy', async () => {
    const result = await runJm(['enqueue', 'shapes', 'everything', '--json', '{}', '--database-url', db.url, '--schema', 'never_deployed']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('jm: Schema "never_deployed" is not deployed: run "jm deploy" first');
  });
});

describe('concurrent identical enqueues', () => {
  test('fifty at once from one process make one job, and all get its id', async () => {
    await db.pool.query(`delete from "${db.schema}".jobs`);
    const args = { ...base, label: 'concurrent-ts' };
    const results = await Promise.all(Array.from({ length: 50 }, () => jm.enqueueDetailed('shapes.everything', args)));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.filter((r) => r.inserted)).toHaveLength(1);
    expect(await jobCount()).toBe(1);
  });

  test('six processes at once make one job', async () => {
    await db.pool.query(`delete from "${db.schema}".jobs`);
    const json = JSON.stringify({ ...base, label: 'concurrent-cli' });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => runJm(['enqueue', 'shapes', 'everything', '--json', json, ...dbFlags(db)])),
    );
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(new Set(results.map((r) => r.stdout.trim())).size).toBe(1);
    expect(await jobCount()).toBe(1);
  });
});

describe("enqueue inside the caller's transaction", () => {
  test('the job exists after commit and not after rollback', async () => {
    await db.pool.query(`delete from "${db.schema}".jobs`);
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await jm.enqueue('shapes.everything', { ...base, label: 'rolled back' }, { client });
      await client.query('rollback');
      expect(await jobCount()).toBe(0);

      await client.query('begin');
      const id = await jm.enqueue('shapes.everything', { ...base, label: 'committed' }, { client });
      expect(await jobCount()).toBe(0); // not visible outside before commit
      await client.query('commit');
      const { rows } = await db.pool.query(`select arguments->>'label' as label from "${db.schema}".jobs where id = $1`, [id]);
      expect(rows[0].label).toBe('committed');
    } finally {
      client.release();
    }
  });
});

describe('batch enqueue', () => {
  test('returns ids in order, one per job', async () => {
    await db.pool.query(`delete from "${db.schema}".jobs`);
    const ids = await jm.enqueueMany([
      { task: 'shapes.everything', args: { ...base, label: 'b1' } },
      { task: 'shapes.noArgs', priority: 5 },
      { task: 'shapes.everything', args: { ...base, label: 'b1' } },
    ]);
    expect(ids).toHaveLength(3);
    expect(ids[2]).toBe(ids[0]);
    expect(await jobCount()).toBe(2);
  });

  test('is all or nothing: one invalid job inserts none', async () => {
    await db.pool.query(`delete from "${db.schema}".jobs`);
    await expect(
      jm.enqueueMany([
        { task: 'shapes.everything', args: { ...base, label: 'ok' } },
        { task: 'shapes.everything', args: { ...base, color: 'purple' } },
      ]),
    ).rejects.toThrow('parameter "color" must be one of');
    expect(await jobCount()).toBe(0);
  });
});
