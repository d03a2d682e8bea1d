// With quick jobs a worker claims ahead of its free slots (claimed jobs wait in memory as
// 'running'). Those jobs must still run once each, in order, and go back to the queue
// unstarted and uncounted when the worker stops.
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { WORKER_FIXTURES, deployTasks, lines, sql, startWorker, tempDir, waitFor } from './worker-harness.js';

const db = useTestDatabase('wahead');
const dir = tempDir();

beforeAll(async () => deployTasks(db, WORKER_FIXTURES));

async function enqueueOrdered(file: string, count: number, ms: number): Promise<void> {
  const jobs = Array.from({ length: count }, (_, n) => ({ type_key: 'counting', task_key: 'ordered', arguments: { file, n, ms } }));
  await sql(db, `select count(*) from S.enqueue_many($1::jsonb)`, [JSON.stringify(jobs)]);
}

test('jobs claimed ahead and not started when the worker stops go back to waiting with no attempt counted', async () => {
  const file = join(dir, 'stop.txt');
  await enqueueOrdered(file, 3000, 2);
  const worker = startWorker(db, [...WORKER_FIXTURES, '--concurrency', '2']);
  // Quick jobs: after a few hundred, the worker holds more than its two slots.
  await waitFor('the worker to claim ahead of its slots', async () => {
    const [row] = await sql(db, `select count(*)::int as n from S.jobs where status = 'running'`);
    return lines(file).length > 200 && (row!.n as number) > 2;
  });
  worker.child.kill('SIGTERM');
  const { code, stderr } = await worker.exited;
  expect(code, stderr).toBe(0);

  const ran = lines(file).map(Number);
  expect(new Set(ran).size).toBe(ran.length); // none ran twice
  const counts = await sql(
    db,
    `select status, count(*)::int as n, max(attempts) as most, min(attempts) as least from S.jobs group by status order by status`,
  );
  expect(counts.find((c) => c.status === 'running')).toBeUndefined();
  const complete = counts.find((c) => c.status === 'complete')!;
  const waiting = counts.find((c) => c.status === 'waiting')!;
  expect(complete.n).toBe(ran.length);
  expect(complete.n + waiting.n).toBe(3000);
  expect([waiting.least, waiting.most]).toEqual([0, 0]);
  // Claimed ahead or not, jobs start in claim order: oldest first at equal priority.
  expect(ran.slice(0, 20).every((n) => n < 30)).toBe(true);
  expect(Math.max(...ran)).toBeLessThan(ran.length + 20);
});

test('a SIGKILLed worker: the jobs it held ahead and never started go back without using an attempt', async () => {
  await sql(db, `delete from S.jobs`);
  const file = join(dir, 'kill.txt');
  await enqueueOrdered(file, 3000, 2);
  const worker = startWorker(db, [...WORKER_FIXTURES, '--concurrency', '2', '--lease', '1s', '--heartbeat', '200ms']);
  let heldAhead = 0;
  await waitFor('the worker to claim far ahead of its slots', async () => {
    const [row] = await sql(db, `select count(*)::int as n from S.jobs where status = 'running'`);
    heldAhead = row!.n as number;
    return lines(file).length > 200 && heldAhead > 20;
  });
  worker.child.kill('SIGKILL');
  await worker.exited;
  // Once the leases lapse, recovery gives the jobs back.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await sql(db, `select S.recover_expired_leases()`);

  const ran = new Set(lines(file));
  const waiting = await sql(db, `select arguments ->> 'n' as n, attempts from S.jobs where status = 'waiting'`);
  // A job that used an attempt started: it ran (its line is in the file; its outcome may not
  // have been written before the kill) or it was one of the two in the worker's slots.
  const usedWithoutRunning = waiting.filter((j) => (j.attempts as number) > 0 && !ran.has(j.n as string));
  expect(usedWithoutRunning.length).toBeLessThanOrEqual(2);
  const unused = waiting.filter((j) => j.attempts === 0).length;
  expect(unused).toBeGreaterThan(3000 - ran.size - 3);
  expect(heldAhead).toBeGreaterThan(20);
  const [recovered] = await sql(
    db,
    `select count(*)::int as n from S.jobs where status = 'waiting' and message like '%before starting the job (held ahead)%'`,
  );
  expect(recovered!.n as number).toBeGreaterThan(10);
});
