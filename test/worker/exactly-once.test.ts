// Many worker processes over one queue: every job runs exactly once, and a worker killed
// mid-job loses nothing (its job returns after the lease lapses, counted as an attempt).
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import {
  WORKER_FIXTURES,
  deployTasks,
  history,
  job,
  expectEachRanOnceAcrossProcesses,
  lines,
  runCountJobs,
  startWorker,
  stopWorkers,
  tempDir,
  waitFor,
  waitForWorkers,
} from './worker-harness.js';

const db = useTestDatabase('wonce');
const dir = tempDir();

beforeAll(async () => deployTasks(db, WORKER_FIXTURES));

describe('several worker processes', () => {
  test('4 workers x 2,000 jobs: every job is executed exactly once', async () => {
    const file = join(dir, 'executions.txt');
    const total = 2000;
    // All four are up and idle before the jobs arrive, so they race for every batch (a drain
    // started later could find the quick jobs already done by the first).
    const workers = [1, 2, 3, 4].map(() => startWorker(db, [...WORKER_FIXTURES, '--concurrency', '8']));
    await waitForWorkers(db, 4);
    await runCountJobs(db, file, total);
    await stopWorkers(workers);

    // Once each, and the work was actually shared: more than one process ran jobs.
    expectEachRanOnceAcrossProcesses(file, total);
    const { rows } = await db.pool.query(
      `select status, count(*)::int as n from "${db.schema}".jobs where task_key = 'count' group by status`,
    );
    expect(rows).toEqual([{ status: 'complete', n: total }]);
  });
});

describe('a worker killed mid-job', () => {
  test('its job returns to the queue when the lease lapses, counts as an attempt, and completes', async () => {
    const file = join(dir, 'nap.txt');
    const { rows } = await db.pool.query(`select job_id from "${db.schema}".enqueue('counting', 'nap', 0, $1)`, [
      JSON.stringify({ file, ms: 1500 }),
    ]);
    const id = String(rows[0]!.job_id);

    const doomed = startWorker(db, [...WORKER_FIXTURES, '--lease', '2s', '--heartbeat', '300ms', '--node', 'doomed']);
    await waitFor('the first attempt to start', () => lines(file).some((l) => l.startsWith(`start ${id} attempt 1`)));
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    expect((await job(db, id)).status).toBe('running');

    const rescuer = startWorker(db, [...WORKER_FIXTURES, '--lease', '2s', '--poll', '300ms', '--node', 'rescuer']);
    try {
      await waitFor('the job to complete', async () => (await job(db, id)).status === 'complete', 30_000);
    } finally {
      rescuer.child.kill('SIGTERM');
      expect((await rescuer.exited).code).toBe(0);
    }
    const row = await job(db, id);
    expect(row.attempts).toBe(2);
    expect(row.node).toBe('rescuer');
    expect(row.result).toBe('rested');
    expect(lines(file).filter((l) => l.startsWith('start'))).toHaveLength(2);
    expect(lines(file).filter((l) => l.startsWith('end'))).toHaveLength(1);
    const events = await history(db, id);
    expect(events.map((e) => e.status)).toEqual(['running', 'waiting', 'running', 'complete']);
    expect(events[1]!.message).toMatch(/on node doomed stopped renewing its lease \(attempt 1 of 3\)/);
    expect(events[0]!.node).toBe('doomed');
    expect(events[3]!.node).toBe('rescuer');
  });
});
