// A cancel request is never lost: a running job whose worker dies (lease lapses) or shuts
// down (release) before noticing the request ends as cancelled instead of running again.
import { beforeAll, beforeEach, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('cancelreq');
const s = (): string => `"${db.schema}"`;

beforeAll(async () => {
  expect((await runJm(['deploy', ...dbFlags(db), '--tasks', 'examples/things1.ts'])).code).toBe(0);
});
beforeEach(async () => db.pool.query(`delete from ${s()}.jobs`));

/** A job "running" on worker w1 with a cancel requested, plus a job waiting on it. */
async function runningJobWithCancelRequest(leaseExpired: boolean): Promise<{ id: string; dependent: string }> {
  const enqueue = (n: number): Promise<{ rows: Array<{ job_id: string }> }> =>
    db.pool.query(`select job_id from ${s()}.enqueue('things1', 'foo', 0, $1::jsonb)`, [
      JSON.stringify({ file_path: '/tmp/x', number: n }),
    ]);
  const id = (await enqueue(1)).rows[0]!.job_id;
  const dependent = (await enqueue(2)).rows[0]!.job_id;
  await db.pool.query(
    `update ${s()}.jobs set status = 'running', attempts = 1, worker_id = 'w1', node = 'n1', pid = 1, cancel_requested = true,
            lease_expires_at = now() + $2::interval where id = $1`,
    [id, leaseExpired ? '-1 second' : '30 seconds'],
  );
  await db.pool.query(`update ${s()}.jobs set waiting_for = array[$1::bigint] where id = $2`, [id, dependent]);
  return { id, dependent };
}

async function statusOf(id: string): Promise<{ status: string; message: string }> {
  const { rows } = await db.pool.query(`select status, message from ${s()}.jobs where id = $1`, [id]);
  return rows[0];
}

test('lease recovery ends a job with a pending cancel as cancelled, and fails what waits on it', async () => {
  const { id, dependent } = await runningJobWithCancelRequest(true);
  await db.pool.query(`select ${s()}.recover_expired_leases()`);
  expect(await statusOf(id)).toMatchObject({ status: 'cancelled', message: expect.stringContaining('cancelled as requested') });
  expect(await statusOf(dependent)).toMatchObject({
    status: 'failed',
    message: expect.stringContaining(`#${id} did not complete (cancelled)`),
  });
});

test('a worker shutting down does not give back a job someone asked to cancel', async () => {
  const { id, dependent } = await runningJobWithCancelRequest(false);
  const { rows } = await db.pool.query(`select * from ${s()}.release_jobs('w1', array[$1::bigint], 'worker stopping')`, [id]);
  expect(rows).toHaveLength(1);
  expect((await statusOf(id)).status).toBe('cancelled');
  expect((await statusOf(dependent)).status).toBe('failed');
});
