// `jm cancel`, `jm retry` and `jm prune` through the built binary, checked in the database.
import { describe, expect, test } from 'vitest';
import { setStatus, useStatusFixture } from './status-setup.js';

const fx = useStatusFixture('st_ops');

interface JobRow extends Record<string, unknown> {
  id: string;
  status: string;
  attempts: number;
  cancel_requested: boolean;
  message: string | null;
  error: unknown;
}

async function job(id: string): Promise<JobRow> {
  const [row] = await fx.sql<JobRow>(`select id::text, status, attempts, cancel_requested, message, error from :s.jobs where id = $1`, [
    id,
  ]);
  return row!;
}

async function events(id: string): Promise<string[]> {
  const rows = await fx.sql<{ status: string }>(`select status from :s.job_history($1)`, [id]);
  return rows.map((r) => r.status);
}

let n = 0;
/** A fresh things1.foo job (distinct arguments each time). */
const newJob = (): Promise<string> => fx.enqueue('things1', 'foo', { file_path: `/tmp/ops-${n++}`, number: 1 });

describe('jm cancel', () => {
  test('a waiting job is cancelled at once, with a history row, and the jobs waiting on it fail', async () => {
    const dependency = await newJob();
    const dependent = await fx.enqueue('nice_tasks', 'baz', { file_path: '/tmp/ops-dep' });
    await fx.sql(`update :s.jobs set waiting_for = array[$2::bigint] where id = $1`, [dependent, dependency]);

    const outcome = await fx.jmJson(['cancel', dependency]);
    expect(outcome).toEqual([{ id: dependency, status: 'cancelled', outcome: 'cancelled' }]);
    expect(await job(dependency)).toMatchObject({ status: 'cancelled', message: 'cancelled by an operator' });
    expect(await events(dependency)).toEqual(['cancelled']);
    const failed = await job(dependent);
    expect(failed.status).toBe('failed');
    expect(failed.message).toBe(`dependency things1.foo #${dependency} did not complete (cancelled)`);
  });

  test('a running job is asked to stop (cancel_requested) and stays running for its worker to abort', async () => {
    const id = await newJob();
    await setStatus(fx, id, 'running');
    const result = await fx.jm(['cancel', id]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`Job ${id}: running; cancel requested, its worker stops it at the next heartbeat.`);
    expect(await job(id)).toMatchObject({ status: 'running', cancel_requested: true });
    // The worker's heartbeat is what reports it.
    const beat = await fx.sql<{ cancel_requested: boolean }>(`select * from :s.heartbeat('test-worker', array[$1::bigint], 30)`, [id]);
    expect(beat).toEqual([{ id, cancel_requested: true }]);
  });

  test('a finished job is reported and left alone', async () => {
    const id = await newJob();
    await setStatus(fx, id, 'complete');
    const outcome = await fx.jmJson(['cancel', id]);
    expect(outcome).toEqual([{ id, status: 'complete', outcome: 'finished' }]);
    expect((await job(id)).status).toBe('complete');
  });

  test('an unknown id fails with one line and cancels nothing, not even the known ids', async () => {
    const id = await newJob();
    const result = await fx.jm(['cancel', id, '987654321']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('jm: No job with id 987654321');
    expect((await job(id)).status).toBe('waiting');
    const bad = await fx.jm(['cancel', 'x1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('jm: Job id must be a positive integer such as 42, got "x1"');
  });
});

describe('jm retry', () => {
  test('a failed job waits again with its attempts reset, error cleared and a history row', async () => {
    const id = await newJob();
    await setStatus(fx, id, 'failed', { message: 'boom' });
    const outcome = await fx.jmJson(['retry', id]);
    expect(outcome).toEqual([{ id, status: 'waiting', outcome: 'retried', twinId: null }]);
    expect(await job(id)).toMatchObject({ status: 'waiting', attempts: 0, error: null, message: 'retried by an operator' });
    expect(await events(id)).toEqual(['failed', 'waiting']);
  });

  test('a job with an identical twin already waiting is not retried; the twin is named', async () => {
    const args = { file_path: '/tmp/ops-twin', number: 2 };
    const first = await fx.enqueue('things1', 'foo', args);
    await setStatus(fx, first, 'cancelled');
    const twin = await fx.enqueue('things1', 'foo', args);
    expect(twin).not.toBe(first);
    const result = await fx.jm(['retry', first]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`Job ${first}: not retried; identical job ${twin} is already waiting or running.`);
    expect((await job(first)).status).toBe('cancelled');
  });

  test('a waiting job is reported as not retryable', async () => {
    const id = await newJob();
    expect(await fx.jmJson(['retry', id])).toEqual([{ id, status: 'waiting', outcome: 'not_retryable', twinId: null }]);
  });

  test('--failed --task retries every failed job of that task and no other', async () => {
    const a = await newJob();
    const b = await newJob();
    const other = await fx.enqueue('greetings', 'greet', { name: 'Zed' });
    for (const id of [a, b, other]) await setStatus(fx, id, 'failed', { message: 'nope' });
    const outcome = await fx.jmJson<Array<{ id: string; outcome: string }>>(['retry', '--failed', '--task', 'things1.foo']);
    expect(outcome.map((o) => o.id)).toEqual(expect.arrayContaining([a, b]));
    expect(outcome.every((o) => o.outcome === 'retried')).toBe(true);
    expect((await job(other)).status).toBe('failed');
    const nothingLeft = await fx.jm(['retry', '--failed', '--task', 'things1.foo']);
    expect(nothingLeft.stdout.trim()).toBe('No failed jobs to retry.');
  });

  test('ids and --failed together, or neither, is a one-line error', async () => {
    for (const args of [['retry'], ['retry', '1', '--failed'], ['retry', '--failed', '--task', 'bad']]) {
      const result = await fx.jm(args);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('jm prune', () => {
  test('deletes finished jobs older than the age with their history, never waiting or running ones', async () => {
    const waiting = await newJob();
    const running = await newJob();
    const oldComplete = await newJob();
    const oldFailed = await newJob();
    const recent = await newJob();
    await setStatus(fx, running, 'running');
    await setStatus(fx, oldComplete, 'complete', { finishedAgo: '10 days' });
    await setStatus(fx, oldFailed, 'failed', { finishedAgo: '8 days' });
    await setStatus(fx, recent, 'complete', { finishedAgo: '1 day' });
    // Waiting and running jobs with old timestamps are still never pruned.
    await fx.sql(
      `update :s.jobs set created_at = now() - interval '30 days', started_at = now() - interval '30 days' where id = any ($1::bigint[])`,
      [[waiting, running]],
    );
    const before = await fx.sql<{ status: string; n: string }>(`select status, count(*) as n from :s.jobs group by status`);

    const outcome = await fx.jmJson<{ deleted: Record<string, number>; total: number; olderThan: string }>(['prune', '--older-than', '7d']);
    expect(outcome.olderThan).toBe('7d');
    expect(outcome.deleted.complete).toBeGreaterThanOrEqual(1);
    expect(outcome.deleted.failed).toBeGreaterThanOrEqual(1);

    const remaining = await fx.sql<{ id: string }>(`select id::text from :s.jobs where id = any ($1::bigint[])`, [
      [waiting, running, oldComplete, oldFailed, recent],
    ]);
    expect(remaining.map((r) => r.id).sort()).toEqual([waiting, running, recent].sort());
    expect(await events(oldComplete)).toEqual([]);
    const history = await fx.sql<{ n: number }>(`select count(*)::int as n from :s.job_events where job_id = any ($1::bigint[])`, [
      [oldComplete, oldFailed],
    ]);
    expect(history[0]!.n).toBe(0);
    const after = await fx.sql<{ status: string; n: string }>(`select status, count(*) as n from :s.jobs group by status`);
    const count = (rows: typeof after, status: string): number => Number(rows.find((r) => r.status === status)?.n ?? 0);
    expect(count(after, 'waiting')).toBe(count(before, 'waiting'));
    expect(count(after, 'running')).toBe(count(before, 'running'));
    expect(outcome.total).toBe(before.reduce((s, r) => s + Number(r.n), 0) - after.reduce((s, r) => s + Number(r.n), 0));

    const text = await fx.jm(['prune', '--older-than', '7d']);
    expect(text.code).toBe(0);
    expect(text.stdout.trim()).toMatch(/^Nothing to prune: no jobs finished before \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\.$/);
  });

  test('prints what it removed', async () => {
    const id = await newJob();
    await setStatus(fx, id, 'cancelled', { finishedAgo: '2 hours' });
    const result = await fx.jm(['prune', '--older-than', '1h', '--task', 'things1.foo']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(
      /^Deleted \d+ things1\.foo jobs? that finished before .*, with their history: \d+ complete, \d+ failed, [1-9]\d* cancelled\.$/,
    );
  });

  test('a bad age is a one-line error naming the flag', async () => {
    const result = await fx.jm(['prune', '--older-than', 'a week']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('jm: --older-than must be a duration such as 30s, 15m, 1h or 7d, got "a week"');
  });
});
