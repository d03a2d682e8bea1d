// `jm enqueue --plan` and `jm workflow start --plan`: what the enqueue or start would do now,
// by the real code run in a transaction that is rolled back, so nothing is ever written.
import { InvalidArgumentsError, InvalidJobIdError, JobMaster, JobNotFoundError, planEnqueue } from 'jobmaster';
import { beforeAll, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';
import { deployTasks, drain, sql } from '../worker/worker-harness.js';
import { ALL_FIXTURES, EXPLAIN_TASKS, enqueue } from './explain-harness.js';

const db = useTestDatabase('plan');

/** Rows in every table of the schema. */
async function rowCounts(): Promise<Record<string, number>> {
  const tables = await sql(
    db,
    `select table_name from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE' order by 1`,
    [db.schema],
  );
  const counts: Record<string, number> = {};
  for (const t of tables) counts[t.table_name] = (await sql(db, `select count(*)::int as n from S."${t.table_name}"`))[0]!.n;
  return counts;
}

async function plan(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return await runJm(['enqueue', ...dbFlags(db), ...args, '--plan']);
}

beforeAll(async () => {
  await deployTasks(db, ALL_FIXTURES);
  // Today's completions: base 5 ran; a paint combination and a keyed job are waiting.
  await enqueue(db, 'explain_tasks.base', { n: 5 });
  await drain(db, [...EXPLAIN_TASKS]);
  await enqueue(db, 'explain_tasks.paint', { color: 'red', size: 1 }, ['--delay', '1h']);
  await enqueue(db, 'explain_tasks.base', { n: 9 }, ['--delay', '1h']);
  await enqueue(db, 'explain_tasks.base', { n: 50 }, ['--key', 'nightly', '--delay', '1h']);
}, 120_000);

test('a plan writes nothing: every table has the same rows before and after', async () => {
  const before = await rowCounts();
  expect(before.jobs).toBeGreaterThan(0);
  for (const args of [
    ['explain_tasks', 'top', '--json', '{"n": 4}'],
    ['explain_tasks', 'paint', '--json', '{"color": "ALL", "size": "ALL"}'],
    ['explain_tasks', 'base', '--json', '{"n": 51}', '--key', 'nightly', '--on-conflict', 'replace'],
  ]) {
    const r = await plan(args);
    expect(r.code, r.stderr).toBe(0);
  }
  const run = await runJm(['workflow', 'start', ...dbFlags(db), 'flow', '--plan']);
  expect(run.code, run.stderr).toBe(0);
  expect(await rowCounts()).toEqual(before);
});

test('the plan shows the job with its defaults filled in, and its dependencies recursively with priorities and units', async () => {
  const r = await plan(['explain_tasks', 'top', '--json', '{"n": 4}', '--priority', '3', '--output', 'json']);
  expect(r.code, r.stderr).toBe(0);
  const p = JSON.parse(r.stdout);
  expect(p.outcome).toBe('inserted');
  expect(p.job).toMatchObject({
    task: 'explain_tasks.top',
    arguments: { n: 4 },
    priority: 3,
    processUnits: 1,
    maxAttempts: 3,
    jobKey: null,
  });
  expect(p.job.jobId).toBeUndefined();
  expect(p.dependencies).toEqual([
    expect.objectContaining({
      neededBy: 'job',
      ref: 'dependency 1',
      task: 'explain_tasks.needy',
      arguments: { n: 4 },
      priority: 4,
      processUnits: 1,
      isNew: true,
      depth: 1,
    }),
    expect.objectContaining({
      neededBy: 'dependency 1',
      ref: 'dependency 2',
      task: 'explain_tasks.base',
      arguments: { n: 4 },
      priority: 5,
      isNew: true,
      depth: 2,
    }),
  ]);
  const text = await plan(['explain_tasks', 'top', '--json', '{"n": 4}', '--priority', '3']);
  expect(text.stdout).toContain('plan: would insert a new job (nothing was written)');
  expect(text.stdout).toContain('  dependency 1: insert explain_tasks.needy {"n":4}, priority 4, 1 unit  (needed by job)');
  expect(text.stdout).toContain('    dependency 2: insert explain_tasks.base {"n":4}, priority 5, 1 unit  (needed by dependency 1)');
});

test("a dependency that completed within its window is not planned again (today's completions count)", async () => {
  const p = await planEnqueue(db.pool, db.schema, { typeKey: 'explain_tasks', taskKey: 'top', args: { n: 5 } });
  expect(p.dependencies.map((d) => d.task)).toEqual(['explain_tasks.needy']);
});

test('a dependency already waiting is waited for, not inserted again', async () => {
  const p = await planEnqueue(db.pool, db.schema, { typeKey: 'explain_tasks', taskKey: 'needy', args: { n: 9 } });
  const [waiting] = await sql(db, `select id::text from S.jobs where task_key = 'base' and arguments = '{"n": 9}'`);
  expect(p.dependencies).toEqual([expect.objectContaining({ jobId: waiting!.id, status: 'waiting', isNew: false })]);
});

test('the plan of a write-all job lists its combinations, the new ones apart from those already waiting', async () => {
  const p = await planEnqueue(db.pool, db.schema, { typeKey: 'explain_tasks', taskKey: 'paint', args: { color: 'ALL', size: 'ALL' } });
  expect(p.fanOut).toMatchObject({ parameters: ['color', 'size'], total: 6, new: 5 });
  expect(p.fanOut!.combinations).toHaveLength(5);
  expect(p.fanOut!.combinations).toContainEqual({ color: 'blue', size: 2, label: 'x' });
  expect(p.fanOut!.combinations).not.toContainEqual({ color: 'red', size: 1, label: 'x' });
  expect(p.job.arguments).toEqual({ color: 'ALL', size: 'ALL', label: 'x' });
});

test('a plan that would meet an identical job shows that job', async () => {
  const [twin] = await sql(db, `select id::text from S.jobs where task_key = 'base' and arguments = '{"n": 9}'`);
  const r = await plan(['explain_tasks', 'base', '--json', '{"n": 9}']);
  expect(r.stdout).toContain(`plan: would insert nothing: an identical job ${twin!.id} is waiting; the enqueue returns its id`);
  const p = await planEnqueue(db.pool, db.schema, { typeKey: 'explain_tasks', taskKey: 'base', args: { n: 9 } });
  expect(p).toMatchObject({ outcome: 'identical', job: { jobId: twin!.id, status: 'waiting' }, dependencies: [] });
});

test('a plan with a held key shows what the key policy would do', async () => {
  const [holder] = await sql(db, `select id::text from S.jobs where job_key = 'nightly'`);
  const ignore = await planEnqueue(db.pool, db.schema, {
    typeKey: 'explain_tasks',
    taskKey: 'base',
    args: { n: 51 },
    jobKey: 'nightly',
    onConflict: 'ignore',
  });
  expect(ignore).toMatchObject({
    outcome: 'existing',
    job: { jobId: holder!.id, arguments: { n: 50 } },
    keyHolder: { jobId: holder!.id, status: 'waiting' },
  });
  const replace = await planEnqueue(db.pool, db.schema, {
    typeKey: 'explain_tasks',
    taskKey: 'base',
    args: { n: 51 },
    jobKey: 'nightly',
    onConflict: 'replace',
  });
  expect(replace).toMatchObject({ outcome: 'replaced', job: { jobId: holder!.id, arguments: { n: 51 } } });
  const [still] = await sql(db, `select arguments from S.jobs where id = $1`, [holder!.id]);
  expect(still!.arguments).toEqual({ n: 50 });
  const text = await plan(['explain_tasks', 'base', '--json', '{"n": 51}', '--key', 'nightly', '--on-conflict', 'replace']);
  expect(text.stdout.split('\n').slice(0, 2)).toEqual([
    `plan: would replace waiting job ${holder!.id} (it holds the key): new arguments, priority and run-at (nothing was written)`,
    'job: explain_tasks.base {"n":51}',
  ]);
});

test.each([
  ['a wrong type', ['explain_tasks', 'base', '--json', '{"n": "five"}']],
  ['an unknown parameter', ['explain_tasks', 'base', '--json', '{"n": 1, "m": 2}']],
  ['an unknown task', ['explain_tasks', 'nope', '--json', '{}']],
  ['a value outside select-from', ['explain_tasks', 'paint', '--json', '{"color": "pink", "size": 1}']],
  ['malformed JSON', ['explain_tasks', 'base', '--json', '{"n": ']],
  ['a held key (raise)', ['explain_tasks', 'base', '--json', '{"n": 51}', '--key', 'nightly']],
])('a plan with %s fails with the same message as the enqueue, and writes nothing', async (_what, args) => {
  const before = await rowCounts();
  const planned = await plan(args);
  const real = await runJm(['enqueue', ...dbFlags(db), ...args]);
  expect(planned.code).toBe(1);
  expect(real.code).toBe(1);
  expect(planned.stdout).toBe('');
  expect(planned.stderr).toBe(real.stderr);
  expect(planned.stderr.trim().split('\n')).toHaveLength(1);
  expect(await rowCounts()).toEqual(before);
});

test('jm workflow start --plan shows the steps it would create with their resolved arguments', async () => {
  const r = await runJm(['workflow', 'start', ...dbFlags(db), 'flow', '--json', '{"n": 3}', '--plan', '--output', 'json']);
  expect(r.code, r.stderr).toBe(0);
  const p = JSON.parse(r.stdout);
  expect(p).toMatchObject({ outcome: 'started', workflow: 'flow', runId: null, params: { n: 3 } });
  expect(p.steps).toEqual([
    {
      step: 'first',
      task: 'explain_tasks.needy',
      requires: [],
      priority: 0,
      status: 'started',
      arguments: { n: 3 },
      processUnits: 1,
      message: null,
    },
    {
      step: 'second',
      task: 'explain_tasks.base',
      requires: ['first'],
      priority: 0,
      status: 'pending',
      arguments: { n: '${{ steps.first.result }}' },
      processUnits: 1,
      message: null,
    },
  ]);
  expect(p.dependencies).toEqual([
    expect.objectContaining({ neededBy: 'step first', task: 'explain_tasks.base', arguments: { n: 3 }, isNew: true }),
  ]);
  const text = await runJm(['workflow', 'start', ...dbFlags(db), 'flow', '--plan']);
  expect(text.stdout).toContain('plan: would start a run of flow (nothing was written)');
  expect(text.stdout).toContain('  first: explain_tasks.needy {"n":7}, priority 0, 1 unit; starts now');
  expect(text.stdout).toContain('  second: explain_tasks.base {"n":"${{ steps.first.result }}"}, priority 0, 1 unit; after first');
});

test.each([
  ['an unknown workflow', ['nope']],
  ['a parameter of the wrong type', ['flow', '--json', '{"n": "x"}']],
  ['an unknown parameter', ['flow', '--json', '{"m": 1}']],
])('jm workflow start --plan with %s fails with the same message as the start, and writes nothing', async (_what, args) => {
  const before = await rowCounts();
  const planned = await runJm(['workflow', 'start', ...dbFlags(db), ...args, '--plan']);
  const real = await runJm(['workflow', 'start', ...dbFlags(db), ...args]);
  expect(planned.code).toBe(1);
  expect(planned.stderr).toBe(real.stderr);
  expect(await rowCounts()).toEqual(before);
});

test('SQL users get the same plan from plan_enqueue', async () => {
  const [row] = await sql(db, `select S.plan_enqueue('explain_tasks', 'needy', 0, '{"n": 77}') as plan`);
  expect(row!.plan).toMatchObject({ outcome: 'inserted', job: { task: 'explain_tasks.needy', arguments: { n: 77 } } });
  expect(row!.plan.dependencies).toEqual([expect.objectContaining({ task: 'explain_tasks.base', arguments: { n: 77 }, new: true })]);
});

test('the JobMaster client plans an enqueue and a start, and explains a job, without writing', async () => {
  const jm = new JobMaster({ pool: db.pool, schema: db.schema });
  const before = await rowCounts();
  const p = await jm.planEnqueue('explain_tasks.needy', { n: 88 }, { priority: 2 });
  expect(p.dependencies).toEqual([expect.objectContaining({ task: 'explain_tasks.base', arguments: { n: 88 }, priority: 3, isNew: true })]);
  const run = await jm.planWorkflow('flow', { n: 1 });
  expect(run.steps.map((s) => [s.step, s.status])).toEqual([
    ['first', 'started'],
    ['second', 'pending'],
  ]);
  await expect(jm.planEnqueue('explain_tasks.base', { n: 'x' })).rejects.toBeInstanceOf(InvalidArgumentsError);
  const [waiting] = await sql(db, `select id::text from S.jobs where job_key = 'nightly'`);
  const e = await jm.explain(waiting!.id);
  expect(e.reasons[0]!.code).toBe('run_at_future');
  await expect(jm.explain('nope')).rejects.toBeInstanceOf(InvalidJobIdError);
  await expect(jm.explain(987654321)).rejects.toBeInstanceOf(JobNotFoundError);
  expect(await rowCounts()).toEqual(before);
});
