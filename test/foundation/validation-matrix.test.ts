// One set of rules through three doors: SQL `call insert_job`, the TypeScript API and
// `jm enqueue` must accept and reject exactly the same jobs with the same message, and a
// rejected job must leave nothing behind.
import { JobMaster } from 'jobmaster';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('matrix');
const TASKS = ['--tasks', 'test/fixtures/foundation/*.ts'];
let jm: JobMaster;

beforeAll(async () => {
  const deployed = await runJm(['deploy', ...dbFlags(db), ...TASKS]);
  expect(deployed.stderr).toBe('');
  expect(deployed.code).toBe(0);
  jm = new JobMaster({ pool: db.pool, schema: db.schema });
});
afterAll(async () => jm.close());

const base = { label: 'a', count: 1, ratio: 1.5, flag: true, color: 'red' };
type Case = { name: string; task?: [string, string]; args: unknown; error?: string };

const cases: Case[] = [
  { name: 'valid arguments', args: base },
  { name: 'null for an optional parameter whose default is null', args: { ...base, note: null } },
  { name: '"ALL" for a write-all parameter', args: { ...base, color: 'ALL' } },
  { name: 'an integer written as 2.0', args: { ...base, count: 2.0 } },
  { name: 'unknown task', task: ['shapes', 'nope'], args: base, error: 'No task shapes.nope is registered' },
  {
    name: 'missing required parameter',
    args: { ...base, label: undefined },
    error: 'shapes.everything: missing required parameter "label"',
  },
  { name: 'unknown parameter', args: { ...base, bogus: 1 }, error: 'shapes.everything: unknown parameter "bogus"' },
  { name: 'string expected', args: { ...base, label: 5 }, error: 'shapes.everything: parameter "label" must be a string, got 5' },
  { name: 'integer expected', args: { ...base, count: 1.5 }, error: 'parameter "count" must be an integer, got 1.5' },
  { name: 'number expected', args: { ...base, ratio: '1' }, error: 'parameter "ratio" must be a number, got "1"' },
  { name: 'boolean expected', args: { ...base, flag: 'yes' }, error: 'parameter "flag" must be a boolean, got "yes"' },
  { name: 'array expected', args: { ...base, tags: 'x' }, error: 'parameter "tags" must be an array, got "x"' },
  { name: 'object expected', args: { ...base, meta: [] }, error: 'parameter "meta" must be an object, got []' },
  { name: 'null for a required parameter', args: { ...base, label: null }, error: 'parameter "label" must be a string, got null' },
  {
    name: 'value outside select-from',
    args: { ...base, color: 'purple' },
    error: 'parameter "color" must be one of "red", "green", "blue", got "purple"',
  },
  { name: 'integer outside select-from', args: { ...base, size: 4 }, error: 'parameter "size" must be one of 1, 2, 3, got 4' },
  {
    name: '"ALL" for a parameter that is not write-all',
    args: { ...base, size: 'ALL' },
    error: '"ALL" is only allowed for write-all parameters, and "size" is not one',
  },
  { name: 'arguments that are not an object', args: [1, 2], error: 'shapes.everything: arguments must be a JSON object, got array' },
];

async function jobCount(): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(`select count(*)::int as n from "${db.schema}".jobs`);
  return rows[0]!.n;
}

async function storedArguments(id: string): Promise<unknown> {
  const { rows } = await db.pool.query(`select arguments from "${db.schema}".jobs where id = $1`, [id]);
  return rows[0]?.arguments;
}

type Outcome = { ok: true; args: unknown } | { ok: false; message: string };

const doors: Record<string, (task: [string, string], args: unknown) => Promise<Outcome>> = {
  sql: async ([type, name], args) => {
    try {
      const { rows } = await db.pool.query(`call "${db.schema}".insert_job($1, $2, $3, $4::json)`, [type, name, 0, JSON.stringify(args)]);
      return { ok: true, args: await storedArguments(String(rows[0].job_id)) };
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  },
  typescript: async ([type, name], args) => {
    try {
      const id = await jm.enqueue(`${type}.${name}`, args as never);
      return { ok: true, args: await storedArguments(id) };
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  },
  cli: async ([type, name], args) => {
    const result = await runJm(['enqueue', type, name, '--json', JSON.stringify(args), ...dbFlags(db)]);
    if (result.code === 0) return { ok: true, args: await storedArguments(result.stdout.trim()) };
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    return { ok: false, message: result.stderr.trim().replace(/^jm: /, '') };
  },
};

describe('every door applies the same rules', () => {
  test.each(cases)('$name', async ({ task = ['shapes', 'everything'], args, error }) => {
    const outcomes: Record<string, Outcome> = {};
    for (const [door, enqueue] of Object.entries(doors)) {
      await db.pool.query(`delete from "${db.schema}".jobs`);
      outcomes[door] = await enqueue(task, args);
      if (error) expect(await jobCount(), `${door} left a rejected job behind`).toBe(0);
    }
    if (error) {
      for (const outcome of Object.values(outcomes)) {
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) expect(outcome.message).toContain(error);
      }
      expect(new Set(Object.values(outcomes).map((o) => (o.ok ? '' : o.message))).size).toBe(1);
    } else {
      expect(outcomes.sql).toEqual(outcomes.typescript);
      expect(outcomes.cli).toEqual(outcomes.sql);
      expect(outcomes.sql!.ok).toBe(true);
    }
  });
});

test('defaults are filled in before a job is stored', async () => {
  await db.pool.query(`delete from "${db.schema}".jobs`);
  const id = await jm.enqueue('shapes.everything', base);
  expect(await storedArguments(id)).toEqual({ ...base, size: 2, tags: [], meta: {}, note: null });
});

test('an identical waiting job is not inserted twice: every door returns its id', async () => {
  await db.pool.query(`delete from "${db.schema}".jobs`);
  const first = await jm.enqueue('shapes.everything', base);
  // Same arguments once defaults are filled, in another key order.
  const again = await jm.enqueueDetailed('shapes.everything', { color: 'red', flag: true, ratio: 1.5, count: 1, label: 'a', size: 2 });
  expect(again).toEqual({ id: first, inserted: false, outcome: 'identical' });
  const { rows } = await db.pool.query(`call "${db.schema}".insert_job('shapes', 'everything', 5, $1::json)`, [JSON.stringify(base)]);
  expect(String(rows[0].job_id)).toBe(first);
  const cli = await runJm(['enqueue', 'shapes', 'everything', '--json', JSON.stringify(base), ...dbFlags(db)]);
  expect(cli.stdout.trim()).toBe(first);
  expect(await jobCount()).toBe(1);
});
