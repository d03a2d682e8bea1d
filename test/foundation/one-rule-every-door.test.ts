// Rules that belong to the SDK hold at every door: the run-at range and the connection-string
// check are the SDK's, so JobMaster, the Worker and jm give the same answer and message.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, InvalidArgumentsError, JobMaster, Worker, countJobsByTask, defineTask, registry, retryFailedJobs } from 'jobmaster';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('doors');
const TASKS = ['--tasks', 'test/fixtures/foundation/*.ts'];
const args = { label: 'a', count: 1, ratio: 1.5, flag: true, color: 'red' };
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

describe('a run-at PostgreSQL cannot store is refused by the TypeScript door too', () => {
  test.each([
    ['after the year 9999', new Date(Date.parse('9999-12-31T23:59:59.999Z') + 1), '"+010000-01-01T00:00:00.000Z"'],
    ['before the year 1', new Date(Date.parse('0001-01-01T00:00:00.000Z') - 1), '"0000-12-31T23:59:59.999Z"'],
  ])('%s: one InvalidArgumentsError, nothing inserted', async (_, runAt, shown) => {
    const before = await jobCount();
    const attempt = jm.enqueue('shapes.everything', args, { runAt });
    await expect(attempt).rejects.toBeInstanceOf(InvalidArgumentsError);
    await expect(attempt).rejects.toThrow(`shapes.everything: runAt must be a time in the years 1 to 9999, got ${shown}`);
    await expect(jm.enqueueMany([{ task: 'shapes.everything', args, runAt }])).rejects.toBeInstanceOf(InvalidArgumentsError);
    expect(await jobCount()).toBe(before);
  });

  test('the first and last storable instants are accepted', async () => {
    for (const at of ['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']) {
      const id = await jm.enqueue('shapes.everything', { ...args, label: at }, { runAt: new Date(at) });
      const { rows } = await db.pool.query<{ run_at: Date }>(`select run_at from "${db.schema}".jobs where id = $1`, [id]);
      expect(rows[0]!.run_at.toISOString()).toBe(at);
    }
  });
});

describe('a connection string that is not one is named by where it came from', () => {
  const message = (source: string): string =>
    `${source} is not a postgres:// connection string: expected postgres://user:password@host:5432/database`;
  const noop = defineTask({ typeKey: 'doors' }, function noop() {});

  test('JobMaster({ databaseUrl }) and new Worker({ databaseUrl }) give one ConfigError, as jm does', () => {
    for (const make of [
      () => new JobMaster({ databaseUrl: 'notaurl' }),
      () => new Worker({ databaseUrl: 'notaurl', tasks: [registry.definitionOf(noop)] }),
    ]) {
      expect(make).toThrow(ConfigError);
      expect(make).toThrow(message('databaseUrl'));
    }
  });

  test('DATABASE_URL is named as DATABASE_URL by the TypeScript door', () => {
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = 'host=localhost dbname=postgres';
    try {
      expect(() => new JobMaster()).toThrow(message('DATABASE_URL'));
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
  });

  test('the config file\'s "databaseUrl" is named with the file, and --database-url wins over it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jm-doors-'));
    const file = join(dir, 'jobmaster.config.json');
    writeFileSync(file, JSON.stringify({ databaseUrl: 'notaurl', schema: db.schema }));
    const fromFile = await runJm(['status', '--config', file]);
    expect(fromFile.stderr.trim()).toBe(`jm: ${message(`"databaseUrl" in ${file}`)}`);
    expect(fromFile.code).toBe(1);
    const flagWins = await runJm(['status', '--config', file, '--database-url', db.url]);
    expect(flagWins.stderr).toBe('');
    expect(flagWins.code).toBe(0);
  });
});

test("composed queries run on the caller's client, inside its transaction", async () => {
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await jm.enqueue('shapes.noArgs', {}, { client });
    await client.query(
      `update "${db.schema}".jobs set status = 'failed', finished_at = now() where type_key = 'shapes' and task_key = 'noArgs'`,
    );
    const inside = await countJobsByTask(client, db.schema, { task: { typeKey: 'shapes', taskKey: 'noArgs' } });
    expect(inside.map((t) => [t.task, t.failed])).toEqual([['shapes.noArgs', 1]]);
    const retried = await retryFailedJobs(client, db.schema, { task: { typeKey: 'shapes', taskKey: 'noArgs' } });
    expect(retried.map((r) => r.outcome)).toEqual(['retried']);
    await client.query('rollback');
  } finally {
    client.release();
  }
  expect(await countJobsByTask(db.pool, db.schema, { task: { typeKey: 'shapes', taskKey: 'noArgs' } })).toEqual([]);
});
