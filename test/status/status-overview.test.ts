// `jm status` through the built binary: the JSON document, the plain table, the filters and
// the one-line errors for bad flags.
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, test } from 'vitest';
import { JM_ENTRY, REPO_ROOT, cleanEnv, dbFlags, runJm } from '../support/run-jm.js';
import { setStatus, useStatusFixture } from './status-setup.js';

const fx = useStatusFixture('st_overview');

interface QueueStatusJson {
  schema: string;
  at: string;
  filters: { task: string | null; status: string | null; since: string | null };
  tasks: Array<{
    task: string;
    typeKey: string;
    taskKey: string;
    waiting: number;
    running: number;
    complete: number;
    failed: number;
    cancelled: number;
    total: number;
  }>;
  totals: { waiting: number; running: number; complete: number; failed: number; cancelled: number; total: number };
  running: Array<{ id: string; task: string; node: string; pid: number; processUnits: number; elapsedSeconds: number; startedAt: string }>;
  nodes: Array<{ node: string; workers: number; budget: number | null; inUse: number; runningJobs: number }>;
  recentFailures: Array<{ id: string; task: string; message: string; attempts: number; maxAttempts: number; finishedAt: string }>;
}

const ids: Record<string, string> = {};

beforeAll(async () => {
  ids.waiting = await fx.enqueue('things1', 'foo', { file_path: '/tmp/a', number: 1 });
  ids.running = await fx.enqueue('things1', 'foo', { file_path: '/tmp/b', number: 2 });
  ids.complete = await fx.enqueue('things1', 'foo', { file_path: '/tmp/c', number: 3 });
  ids.oldComplete = await fx.enqueue('greetings', 'greet', { name: 'Old' });
  ids.failed = await fx.enqueue('greetings', 'greet', { name: 'Bob' });
  ids.baz = await fx.enqueue('nice_tasks', 'baz', { file_path: '/tmp/z' });
  await setStatus(fx, ids.running!, 'running', { node: 'node-a', pid: 4242 });
  await setStatus(fx, ids.baz!, 'running', { node: 'node-a', pid: 4243, units: 3 });
  await setStatus(fx, ids.complete!, 'complete');
  await setStatus(fx, ids.oldComplete!, 'complete', { finishedAgo: '3 hours' });
  // Finished before jm status's default window (24 hours).
  ids.ancient = await fx.enqueue('greetings', 'greet', { name: 'Ancient' });
  await setStatus(fx, ids.ancient!, 'complete', { finishedAgo: '2 days' });
  await setStatus(fx, ids.failed!, 'failed', { message: 'greeting refused: Bob is away' });
  await fx.sql(`insert into :s.workers (worker_id, node, pid, process_units, concurrency) values ('w-a', 'node-a', 4242, 10, 4)`);
  // A worker not seen for two minutes is gone and does not count.
  await fx.sql(
    `insert into :s.workers (worker_id, node, pid, process_units, concurrency, last_seen_at) values ('w-b', 'node-b', 77, 50, 4, now() - interval '2 minutes')`,
  );
});

describe('jm status --json', () => {
  test('counts jobs by task and status (finished in the last 24 hours), lists running jobs, node units and recent failures', async () => {
    const status = await fx.jmJson<QueueStatusJson>(['status']);
    expect(status.schema).toBe(fx.db.schema);
    expect(status.filters).toEqual({ task: null, status: null, since: expect.any(String) });
    expect(Math.abs(Date.now() - Date.parse(status.filters.since!) - 24 * 3_600_000)).toBeLessThan(60_000);
    expect(status.tasks).toEqual([
      {
        task: 'greetings.greet',
        typeKey: 'greetings',
        taskKey: 'greet',
        waiting: 0,
        running: 0,
        complete: 1,
        failed: 1,
        cancelled: 0,
        total: 2,
      },
      {
        task: 'nice_tasks.baz',
        typeKey: 'nice_tasks',
        taskKey: 'baz',
        waiting: 0,
        running: 1,
        complete: 0,
        failed: 0,
        cancelled: 0,
        total: 1,
      },
      { task: 'things1.foo', typeKey: 'things1', taskKey: 'foo', waiting: 1, running: 1, complete: 1, failed: 0, cancelled: 0, total: 3 },
    ]);
    expect(status.totals).toEqual({ waiting: 1, running: 2, complete: 2, failed: 1, cancelled: 0, total: 6 });
    expect(status.running.map((j) => [j.id, j.task, j.node, j.pid, j.processUnits])).toEqual(
      expect.arrayContaining([
        [ids.running, 'things1.foo', 'node-a', 4242, 1],
        [ids.baz, 'nice_tasks.baz', 'node-a', 4243, 3],
      ]),
    );
    expect(status.running[0]!.elapsedSeconds).toBeGreaterThanOrEqual(59);
    expect(status.nodes).toEqual([expect.objectContaining({ node: 'node-a', workers: 1, budget: 10, inUse: 4, runningJobs: 2 })]);
    expect(status.recentFailures).toEqual([
      expect.objectContaining({
        id: ids.failed,
        task: 'greetings.greet',
        message: 'greeting refused: Bob is away',
        attempts: 3,
        maxAttempts: 3,
      }),
    ]);
  });

  test('--task, --status and --since narrow what is counted', async () => {
    const byTask = await fx.jmJson<QueueStatusJson>(['status', '--task', 'things1.foo']);
    expect(byTask.tasks.map((t) => t.task)).toEqual(['things1.foo']);
    expect(byTask.recentFailures).toEqual([]);
    expect(byTask.running.map((j) => j.id)).toEqual([ids.running]);

    const failedOnly = await fx.jmJson<QueueStatusJson>(['status', '--status', 'failed']);
    expect(failedOnly.totals).toEqual({ waiting: 0, running: 0, complete: 0, failed: 1, cancelled: 0, total: 1 });
    expect(failedOnly.running).toEqual([]);
    expect(failedOnly.recentFailures).toHaveLength(1);

    // The job that finished three hours ago drops out; waiting and running jobs always count.
    const lastHour = await fx.jmJson<QueueStatusJson>(['status', '--since', '1h']);
    expect(lastHour.totals).toEqual({ waiting: 1, running: 2, complete: 1, failed: 1, cancelled: 0, total: 5 });
    expect(lastHour.filters.since).not.toBeNull();

    // --since all counts every finished job kept, however old.
    const all = await fx.jmJson<QueueStatusJson>(['status', '--since', 'all']);
    expect(all.filters.since).toBeNull();
    expect(all.totals).toEqual({ waiting: 1, running: 2, complete: 3, failed: 1, cancelled: 0, total: 7 });
    expect(all.tasks.find((t) => t.task === 'greetings.greet')).toMatchObject({ complete: 2, total: 3 });
    const allComplete = await fx.jmJson<QueueStatusJson>(['status', '--since', 'all', '--status', 'complete', '--task', 'greetings.greet']);
    expect(allComplete.totals).toEqual({ waiting: 0, running: 0, complete: 2, failed: 0, cancelled: 0, total: 2 });
  });
});

describe('jm status as text', () => {
  test('prints plain tables when stdout is not a terminal, even with NO_COLOR unset', async () => {
    const result = await fx.jm(['status'], { NO_COLOR: undefined, FORCE_COLOR: undefined });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).not.toMatch(/\u001b\[/);
    const lines = result.stdout.split('\n');
    expect(lines).toContain('Jobs by task and status');
    expect(lines).toContain('TASK             WAITING  RUNNING  COMPLETE  FAILED  CANCELLED  TOTAL');
    expect(lines).toContain('things1.foo            1        1         1       0          0      3');
    expect(lines).toContain('total                  1        2         2       1          0      6');
    expect(result.stdout).toContain('Running now (2)');
    expect(result.stdout).toMatch(/\n\s*\d+\s+nice_tasks\.baz\s+node-a\s+4243\s+3\s+1m \d\ds\s+1\/3\n/);
    expect(result.stdout).toMatch(/\nnode-a\s+1\s+4\s+10\s+2\s+\d+s ago\n/);
    expect(result.stdout).toContain('Recent failures');
    expect(result.stdout).toMatch(/greetings\.greet\s+\d+s ago\s+3\/3\s+greeting refused: Bob is away/);
  });

  test('--watch redraws until interrupted, then exits cleanly', async () => {
    const child = spawn(process.execPath, [JM_ENTRY, 'status', '--watch', ...dbFlags(fx.db)], { cwd: REPO_ROOT, env: cleanEnv() });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const deadline = Date.now() + 30_000;
    while ((stdout.match(/Jobs by task and status/g) ?? []).length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((stdout.match(/Jobs by task and status/g) ?? []).length).toBeGreaterThanOrEqual(2);
    const code = await new Promise<number | null>((resolve) => {
      child.on('close', resolve);
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
  });
});

describe('bad filters', () => {
  test.each([
    [['--status', 'done'], /^jm: --status must be one of waiting, running, complete, failed, cancelled, got "done"$/],
    [['--since', 'yesterday'], /^jm: --since must be a duration such as 30s, 15m, 1h or 7d, or "all", got "yesterday"$/],
    [['--task', 'things1'], /^jm: --task: Task name "things1" must be written as type_key\.task_key/],
    [['--task', 'nope.nothing'], /^jm: No task nope\.nothing is registered/],
  ])('jm status %j fails with one line naming the problem', async (flags, message) => {
    const result = await fx.jm(['status', ...flags]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(message);
  });

  test('a schema that was never deployed is named, not a SQL error', async () => {
    const result = await runJm(['status', '--database-url', fx.db.url, '--schema', 'never_deployed_here']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('jm: Schema "never_deployed_here" is not deployed: run "jm deploy" first');
  });
});
