// fitting_arguments is the quick, set-based check that starts a batch of workflow steps
// without a plpgsql call per step. It may doubt arguments (null: the caller then asks
// prepare_arguments, which names the problem), but it must never pass arguments that
// prepare_arguments refuses, and what it returns must be exactly what prepare_arguments returns.
import { beforeAll, expect, test } from 'vitest';
import { deploy } from '../../packages/jobmaster/src/deploy/deploy.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('fitargs');

beforeAll(async () => {
  await deploy(db.pool, { schema: db.schema, definitions: [], reset: false });
  const s = `"${db.schema}"`;
  await db.pool.query(`insert into ${s}.tasks (type_key, task_key, write_all) values ('t', 'every', '{region}')`);
  await db.pool.query(
    `insert into ${s}.task_parameters (type_key, task_key, name, position, json_type, required, default_value, select_from) values
       ('t', 'every', 'count', 1, 'integer', true, null, null),
       ('t', 'every', 'ratio', 2, 'number', false, '0.5', null),
       ('t', 'every', 'label', 3, 'string', false, 'null', null),
       ('t', 'every', 'region', 4, 'string', false, '"eu"', '["eu", "us"]'),
       ('t', 'every', 'size', 5, 'integer', false, '640', '[320, 640]'),
       ('t', 'every', 'flag', 6, 'boolean', false, 'false', null),
       ('t', 'every', 'rows', 7, 'array', false, '[]', null),
       ('t', 'every', 'meta', 8, 'object', false, '{}', null)`,
  );
});

const candidates: unknown[] = [
  { count: 1 },
  { count: 0, ratio: 2, label: 'x', region: 'us', size: 320, flag: true, rows: [1, 'a'], meta: { a: { b: 1 } } },
  { count: 1, label: null },
  { count: 1, ratio: null },
  { count: null },
  {},
  { count: 1.5 },
  { count: 1.0 },
  { count: '1' },
  { count: 2 ** 60 },
  { count: 1, ratio: 0.1234567890123456 },
  { count: 1, region: 'asia' },
  { count: 1, region: 'ALL' },
  { count: 1, size: 1024 },
  { count: 1, size: 640.0 },
  { count: 1, flag: 'true' },
  { count: 1, rows: {} },
  { count: 1, meta: [] },
  { count: 1, meta: { deep: 2 ** 60 } },
  { count: 1, other: 1 },
  [1],
  'text',
  7,
  null,
];

test('passes only arguments prepare_arguments accepts, and returns exactly what it returns', async () => {
  const s = `"${db.schema}"`;
  let fits = 0;
  for (const args of candidates) {
    const client = await db.pool.connect();
    try {
      const [quick] = (
        await client.query(`select f.arguments as a from ${s}.fitting_arguments('{t}', '{every}', array[$1::jsonb]) f`, [
          JSON.stringify(args),
        ])
      ).rows;
      let full: unknown = 'refused';
      try {
        full = (await client.query(`select ${s}.prepare_arguments('t', 'every', $1::jsonb) as a`, [JSON.stringify(args)])).rows[0].a;
      } catch (error) {
        expect((error as { code?: string }).code, JSON.stringify(args)).toMatch(/^JM00[12]$/);
      }
      if (quick.a !== null) {
        fits++;
        expect(quick.a, JSON.stringify(args)).toEqual(full);
      }
    } finally {
      client.release();
    }
  }
  // Not a check that doubts everything: the plain cases fit.
  expect(fits).toBeGreaterThanOrEqual(5);
});

test('judges a set item by item: one row per position, an unknown task fitting nothing', async () => {
  const { rows } = await db.pool.query(
    `select f.ord::int, f.arguments from "${db.schema}".fitting_arguments('{t,t,t}', '{every,nope,every}',
       array['{"count": 1, "label": "a"}', '{}', '{"count": "x"}']::jsonb[]) f order by f.ord`,
  );
  expect(rows).toEqual([
    { ord: 1, arguments: { count: 1, ratio: 0.5, label: 'a', region: 'eu', size: 640, flag: false, rows: [], meta: {} } },
    { ord: 2, arguments: null },
    { ord: 3, arguments: null },
  ]);
});
