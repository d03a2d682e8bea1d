// `jm status JOB_ID`: one job in full, the jobs around it, and its history.
import { beforeAll, expect, test } from 'vitest';
import { setStatus, useStatusFixture } from './status-setup.js';

const fx = useStatusFixture('st_detail');

interface JobDetailJson {
  id: string;
  task: string;
  status: string;
  priority: number;
  arguments: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
  node: string | null;
  pid: number | null;
  result: unknown;
  error: { message: string; stack: string; attempt: number } | null;
  spawnedBy: { id: string; task: string; status: string; reason: string } | null;
  spawned: Array<{ id: string; task: string; status: string }>;
  spawnedTotal: number;
  waitingFor: Array<{ id: string; task: string; status: string }>;
  history: Array<{ at: string; status: string; node: string | null; pid: number | null; message: string | null }>;
}

let baz = '';
let dependency = '';

beforeAll(async () => {
  baz = await fx.enqueue('nice_tasks', 'baz', { file_path: '/tmp/detail' }, 7);
  // What a worker does when baz's dependency is missing: insert it, spawned by baz, and wait for it.
  const [row] = await fx.sql<{ job_id: string }>(
    `select job_id from :s.enqueue('nice_tasks', 'foo', 8, '{"file_path": "/tmp/detail", "number": 10}', null, $1)`,
    [baz],
  );
  dependency = String(row!.job_id);
  await fx.sql(`update :s.jobs set waiting_for = array[$2::bigint] where id = $1`, [baz, dependency]);
  await setStatus(fx, dependency, 'failed', { message: 'disk full', node: 'node-x', pid: 99 });
});

test('--json gives arguments, outcome, related jobs and the full history starting with creation', async () => {
  const job = await fx.jmJson<JobDetailJson>(['status', dependency]);
  expect(job).toMatchObject({
    id: dependency,
    task: 'nice_tasks.foo',
    status: 'failed',
    priority: 8,
    arguments: { file_path: '/tmp/detail', number: 10 },
    attempts: 3,
    maxAttempts: 3,
    node: 'node-x',
    pid: 99,
    result: null,
    error: { message: 'disk full', stack: 'Error: disk full', attempt: 3 },
    spawnedBy: { id: baz, task: 'nice_tasks.baz', status: 'waiting', reason: 'dependency' },
    spawned: [],
    spawnedTotal: 0,
  });
  expect(job.history.map((e) => [e.status, e.node, e.message])).toEqual([
    ['waiting', null, `created by job ${baz} (nice_tasks.baz)`],
    ['failed', 'node-x', 'disk full'],
  ]);

  const parent = await fx.jmJson<JobDetailJson>(['status', baz]);
  expect(parent.spawned).toEqual([{ id: dependency, task: 'nice_tasks.foo', status: 'failed' }]);
  expect(parent.waitingFor).toEqual([{ id: dependency, task: 'nice_tasks.foo', status: 'failed' }]);
  expect(parent.history).toEqual([expect.objectContaining({ status: 'waiting', message: 'created' })]);
});

test('the text view shows the facts, arguments, error and history', async () => {
  const result = await fx.jm(['status', dependency]);
  expect(result.code).toBe(0);
  expect(result.stdout).not.toMatch(/\u001b\[/);
  expect(result.stdout).toContain(`Job ${dependency}  nice_tasks.foo`);
  expect(result.stdout).toMatch(/\nstatus\s+failed\n/);
  expect(result.stdout).toMatch(/\npriority\s+8\n/);
  expect(result.stdout).toMatch(/\nattempts\s+3 of 3\n/);
  expect(result.stdout).toMatch(new RegExp(`\\nspawned by\\s+${baz} nice_tasks\\.baz \\(waiting\\), dependency\\n`));
  expect(result.stdout).toContain('"file_path": "/tmp/detail"');
  expect(result.stdout).toContain('Error (attempt 3)\n  Error: disk full');
  expect(result.stdout).toMatch(/History\nAT\s+STATUS\s+NODE:PID\s+MESSAGE\n.*waiting\s+-\s+created by job/);
  expect(result.stdout).toMatch(/failed\s+node-x:99\s+disk full/);
});

test.each([
  ['999999', 'jm: No job with id 999999'],
  ['abc', 'jm: Job id must be a positive integer such as 42, got "abc"'],
  ['1.5', 'jm: Job id must be a positive integer such as 42, got "1.5"'],
  ['99999999999999999999', 'jm: Job id must be a positive integer such as 42, got "99999999999999999999"'],
])('jm status %s fails with one clear line and exit code 1', async (id, message) => {
  for (const json of [[], ['--json']]) {
    const result = await fx.jm(['status', id, ...json]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toBe(message);
  }
});

test('filters are refused alongside a job id', async () => {
  const result = await fx.jm(['status', baz, '--status', 'failed']);
  expect(result.code).toBe(1);
  expect(result.stderr.trim()).toBe('jm: --status applies to the queue overview, not to one job: drop it or the job id');
});
