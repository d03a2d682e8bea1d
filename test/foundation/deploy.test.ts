// `jm deploy`: migrations under an advisory lock, a registry equal to the code afterwards,
// and nothing written when the registry is wrong or a reset is not confirmed.
import { describe, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('deploy');
const tasks = (dir: string): string[] => ['--tasks', `test/fixtures/deploy/${dir}/*.ts`];

async function schemaExists(schema: string): Promise<boolean> {
  const { rows } = await db.pool.query('select 1 from pg_namespace where nspname = $1', [schema]);
  return rows.length === 1;
}

async function storedRegistry(schema: string): Promise<unknown[]> {
  const { rows } = await db.pool.query(
    `select t.type_key || '.' || t.task_key as task, t.process_units,
            (select json_agg(p.name || ':' || p.json_type order by p.position) from "${schema}".task_parameters p
              where p.type_key = t.type_key and p.task_key = t.task_key) as params,
            (select json_agg(d.depends_on_type_key || '.' || d.depends_on_task_key) from "${schema}".task_dependencies d
              where d.type_key = t.type_key and d.task_key = t.task_key) as deps
       from "${schema}".tasks t order by 1`,
  );
  return rows;
}

describe('jm deploy', () => {
  test('creates the schema, then a second deploy changes nothing', async () => {
    const first = await runJm(['deploy', ...dbFlags(db), ...tasks('v1')]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Deployed schema "${db.schema}": applied 0001_schema`);
    expect(first.stdout).toContain('3 added');
    const second = await runJm(['deploy', ...dbFlags(db), ...tasks('v1'), '--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      migrationsApplied: [],
      tasks: { added: [], changed: [], removed: [], unchanged: 3 },
    });
  });

  test('syncs the registry so the database equals the code', async () => {
    await runJm(['deploy', ...dbFlags(db), ...tasks('v1')]);
    const result = await runJm(['deploy', ...dbFlags(db), ...tasks('v2'), '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).tasks).toEqual({
      added: ['inventory.audit'],
      changed: ['inventory.reorder'],
      removed: ['inventory.retired'],
      unchanged: 1,
    });
    expect(await storedRegistry(db.schema)).toEqual([
      { task: 'inventory.audit', process_units: 1, params: null, deps: null },
      { task: 'inventory.count', process_units: 1, params: ['sku:string'], deps: null },
      { task: 'inventory.reorder', process_units: 5, params: ['sku:string', 'amount:number', 'urgent:boolean'], deps: ['inventory.count'] },
    ]);
  });

  test('two deploys at once both succeed and apply each migration once', async () => {
    const schema = `${db.schema}_race`;
    const flags = ['--database-url', db.url, '--schema', schema, ...tasks('v1')];
    const results = await Promise.all([runJm(['deploy', ...flags]), runJm(['deploy', ...flags]), runJm(['deploy', ...flags])]);
    expect(results.map((r) => r.stderr)).toEqual(['', '', '']);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const { rows } = await db.pool.query(`select id, count(*)::int as n from "${schema}".migrations group by id order by id`);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    expect(results.filter((r) => r.stdout.includes('applied 0001_schema'))).toHaveLength(1);
    await db.pool.query(`drop schema "${schema}" cascade`);
  });

  test.each([
    ['unknown-dependency', /elsewhere\.missing/],
    ['cycle', /cycle\.first → cycle\.second → cycle\.first|cycle\.second → cycle\.first → cycle\.second/],
  ])('a registry error (%s) stops the deploy before anything is written', async (dir, message) => {
    const schema = `${db.schema}_bad`;
    const result = await runJm(['deploy', '--database-url', db.url, '--schema', schema, ...tasks(dir)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(await schemaExists(schema)).toBe(false);
  });

  test('--reset says what it will destroy and refuses without --yes when nobody can answer', async () => {
    await runJm(['deploy', ...dbFlags(db), ...tasks('v2')]);
    expect((await runJm(['enqueue', 'inventory', 'count', '--json', '{"sku": "a"}', ...dbFlags(db)])).code).toBe(0);
    const refused = await runJm(['deploy', '--reset', ...dbFlags(db), ...tasks('v2')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`--reset drops schema "${db.schema}" with 3 registered tasks and 1 jobs (1 waiting)`);
    expect(refused.stderr).toContain('Pass --yes to confirm');
    const { rows } = await db.pool.query(`select count(*)::int as n from "${db.schema}".jobs`);
    expect(rows[0].n).toBe(1);

    const reset = await runJm(['deploy', '--reset', '--yes', ...dbFlags(db), ...tasks('v2')]);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain(`Recreated schema "${db.schema}"`);
    const after = await db.pool.query(`select count(*)::int as n from "${db.schema}".jobs`);
    expect(after.rows[0].n).toBe(0);
  });

  test('no task modules configured is one clear line', async () => {
    const result = await runJm(['deploy', ...dbFlags(db)], { cwd: '/tmp' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^jm: No task modules configured: pass --tasks/);
  });

  test('JM_TASKS and the config file are honoured', async () => {
    const viaEnv = await runJm(['tasks', '--json'], { env: { JM_TASKS: 'test/fixtures/deploy/v1/*.ts' } });
    expect(JSON.parse(viaEnv.stdout).map((t: { task: string }) => t.task)).toEqual([
      'inventory.count',
      'inventory.reorder',
      'inventory.retired',
    ]);
    const viaConfig = await runJm(['tasks', '--json']);
    expect(JSON.parse(viaConfig.stdout).map((t: { task: string }) => t.task)).toContain('things1.foo');
  });
});
