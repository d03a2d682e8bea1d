// Values JavaScript cannot hold faithfully are refused where every door validates (in the
// database), so no task ever receives a number turned into Infinity, 0 or a rounded integer,
// and no job is stored that a tool cannot show. Through insert_job and enqueue_many alike.
import { beforeAll, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('faithful');
const s = () => `"${db.schema}"`;

beforeAll(async () => {
  const deployed = await runJm(['deploy', ...dbFlags(db), '--tasks', 'test/fixtures/foundation/*.ts']);
  expect(deployed.code, deployed.stderr).toBe(0);
});

const base = '"label": "a", "count": 1, "flag": true, "color": "red"';
const deep = (levels: number): string => '{"a": '.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);
const cases: Array<[string, string, string | null, string]> = [
  [
    'a number beyond ±1.8e308',
    `{${base}, "ratio": 1e400}`,
    null,
    'parameter "ratio" holds 1e400, beyond the largest number JavaScript holds',
  ],
  ['a negative one', `{${base}, "ratio": -2.5e309}`, null, 'parameter "ratio" holds -2.5e309, beyond the largest number'],
  [
    'a number JavaScript would round to 0',
    `{${base}, "ratio": 1e-400}`,
    null,
    'parameter "ratio" holds 1e-400, which JavaScript would round to 0',
  ],
  [
    'an integer beyond 2^53 that no double equals',
    `{"label": "a", "count": 9007199254740993, "ratio": 1, "flag": true, "color": "red"}`,
    null,
    'parameter "count" holds 9007199254740993, which JavaScript would read as 9007199254740992',
  ],
  [
    'a fraction beyond 2^53',
    `{${base}, "ratio": 9007199254740993.5}`,
    null,
    'parameter "ratio" holds 9007199254740993.5, which JavaScript would read as 9007199254740994',
  ],
  [
    'such a number inside an array',
    `{${base}, "ratio": 1, "tags": [1, [2, 1e999]]}`,
    null,
    'parameter "tags" holds 1e999, beyond the largest number',
  ],
  [
    'an object nested 101 levels deep',
    `{${base}, "ratio": 1, "meta": ${deep(101)}}`,
    null,
    'parameter "meta" is nested more than 100 levels deep',
  ],
  ['run_at infinity', `{${base}, "ratio": 1}`, 'infinity', 'run_at must be a time in the years 1 to 9999, got infinity'],
];

test.each(cases)('%s is refused by insert_job and by enqueue_many, and nothing is stored', async (_name, args, runAt, message) => {
  await expect(db.pool.query(`call ${s()}.insert_job('shapes', 'everything', 0, $1::json, run_at => $2)`, [args, runAt])).rejects.toThrow(
    message,
  );
  const batch = `[{"type_key": "shapes", "task_key": "everything", "arguments": {${base}, "ratio": 2}},
                  {"type_key": "shapes", "task_key": "everything", "arguments": ${args}${runAt ? `, "run_at": "${runAt}"` : ''}}]`;
  await expect(db.pool.query(`select * from ${s()}.enqueue_many($1::jsonb)`, [batch])).rejects.toThrow(message);
  const { rows } = await db.pool.query(`select count(*)::int as n from ${s()}.jobs`);
  expect(rows[0].n).toBe(0);
});

test('the largest values JavaScript holds exactly are accepted', async () => {
  // Beyond 2^53: 2^60 (a double equals it exactly), 1e23 and the largest double (as JavaScript writes them).
  const args = `{"label": "a", "count": 9007199254740991, "ratio": 1.7976931348623157e308, "flag": true, "color": "red",
                 "tags": [1152921504606846976, 1e23], "meta": ${deep(100)}}`;
  await db.pool.query(`call ${s()}.insert_job('shapes', 'everything', 0, $1::json)`, [args]);
  const { rows } = await db.pool.query(`select arguments ->> 'count' as count from ${s()}.jobs`);
  expect(rows).toEqual([{ count: '9007199254740991' }]);
});

test('a number is stored as JavaScript writes it, so 1.0 and 1 (or 2.50 and 2.5) are one identical job from any door', async () => {
  await db.pool.query(`delete from ${s()}.jobs`);
  const args = (count: string, ratio: string): string =>
    `{"label": "same", "count": ${count}, "ratio": ${ratio}, "flag": true, "color": "red"}`;
  await db.pool.query(`call ${s()}.insert_job('shapes', 'everything', 0, $1::json)`, [args('1.0', '2.50')]);
  const again = await db.pool.query(`select outcome from ${s()}.enqueue('shapes', 'everything', 0, $1::jsonb)`, [args('1', '2.5')]);
  expect(again.rows).toEqual([{ outcome: 'identical' }]);
  const batch = await db.pool.query(`select outcome from ${s()}.enqueue_many($1::jsonb)`, [
    JSON.stringify([
      { type_key: 'shapes', task_key: 'everything', arguments: JSON.parse(args('1', '2.5')) },
      { type_key: 'shapes', task_key: 'everything', arguments: JSON.parse(args('2', '1')) },
    ]).replace('"ratio":1}', '"ratio":1.000}'),
  ]);
  expect(batch.rows.map((r) => r.outcome)).toEqual(['identical', 'inserted']);
  const { rows } = await db.pool.query(
    `select arguments ->> 'count' as count, arguments ->> 'ratio' as ratio from ${s()}.jobs order by id`,
  );
  expect(rows).toEqual([
    { count: '1', ratio: '2.5' },
    { count: '2', ratio: '1' },
  ]);
});
