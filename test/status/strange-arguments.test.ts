// jm status ID shows any stored job, however strange its arguments: a job stored before the
// doors refused them (10,000 levels deep, a number JavaScript cannot hold) still shows, as
// text and as JSON, with what cannot be shown said so.
import { beforeAll, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('strange');
let id = '';

beforeAll(async () => {
  const deployed = await runJm(['deploy', ...dbFlags(db), '--tasks', 'examples/things1.ts']);
  expect(deployed.code, deployed.stderr).toBe(0);
  // Written straight into the table, as an older version's SQL door let it in.
  const deep = '['.repeat(10_000) + ']'.repeat(10_000);
  const { rows } = await db.pool.query<{ id: string }>(
    `insert into "${db.schema}".jobs (type_key, task_key, arguments, process_units, max_attempts, result)
     values ('things1', 'foo', ('{"file_path": ' || $1 || ', "number": 1e400, "__proto__": "x"}')::jsonb, 1, 3, $1::jsonb) returning id`,
    [deep],
  );
  id = rows[0]!.id;
});

test('as text', async () => {
  const result = await runJm(['status', id, ...dbFlags(db)]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toContain('nested more than 100 levels deep: not shown');
  expect(result.stdout).toContain('__proto__');
});

test('as JSON', async () => {
  const result = await runJm(['status', id, '--output', 'json', ...dbFlags(db)]);
  expect(result.code, result.stderr).toBe(0);
  const detail = JSON.parse(result.stdout) as { arguments: Record<string, unknown>; result: unknown };
  expect(Object.keys(detail.arguments).sort()).toEqual(['__proto__', 'file_path', 'number']);
  expect(JSON.stringify(detail.result)).toContain('not shown');
});
