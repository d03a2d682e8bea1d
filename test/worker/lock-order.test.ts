// A worker writes on several connections at once: its completions on one, its next claim and
// its heartbeats (which report the starts of jobs held ahead and renew leases) on others. Those
// touch the same job rows, so none of them may wait for a row the others hold: two multi-row
// updates in different orders deadlock, and PostgreSQL only breaks the tie after
// deadlock_timeout (1 s), which had become the last second of many drains.
import type pg from 'pg';
import { afterEach, beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { WORKER_FIXTURES, deployTasks, sql, waitFor } from './worker-harness.js';

const db = useTestDatabase('lockorder');
const held: pg.PoolClient[] = [];

beforeAll(async () => deployTasks(db, WORKER_FIXTURES));
afterEach(async () => {
  for (const client of held.splice(0)) {
    await client.query('rollback');
    client.release();
  }
});

/** Two jobs claimed ahead by worker w (running, their start not yet reported). */
async function heldAheadJobs(tag: string): Promise<[string, string]> {
  const ids: string[] = [];
  for (const n of [1, 2]) {
    const [row] = await sql(db, `select e.job_id::text as id from S.enqueue('counting', 'count', 0, $1::jsonb) e`, [
      JSON.stringify({ file: `/tmp/${tag}`, n }),
    ]);
    ids.push(row!.id);
  }
  await sql(
    db,
    `update S.jobs set status = 'running', worker_id = 'w', lease_expires_at = now() + interval '1 minute' where id = any ($1::bigint[])`,
    [ids],
  );
  return ids as [string, string];
}

/** Holds a job's row locked in an open transaction, as the worker's completion does while it writes. */
async function lockRow(id: string): Promise<void> {
  const client = await db.pool.connect();
  held.push(client);
  await client.query('begin');
  await client.query(`update "${db.schema}".jobs set message = null where id = $1`, [id]);
}

/** Runs a statement and reports whether it finished or sat waiting for a row lock. */
async function finishesWithoutWaiting(text: string, values: unknown[]): Promise<{ waited: boolean; rows: Record<string, any>[] }> {
  const client = await db.pool.connect();
  try {
    const pid = (await client.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    let done = false;
    const result = client.query(text.replace(/\bS\./g, `"${db.schema}".`), values).finally(() => (done = true));
    const waited = await waitFor('the statement to finish or wait for a lock', async () => {
      if (done) return 'no';
      const { rows } = await db.pool.query(`select wait_event_type from pg_stat_activity where pid = $1`, [pid]);
      return rows[0]?.wait_event_type === 'Lock' ? 'yes' : undefined;
    });
    if (waited === 'yes') {
      // Let it finish: the test's cleanup rolls the holder back.
      for (const c of held.splice(0)) {
        await c.query('rollback');
        c.release();
      }
    }
    return { waited: waited === 'yes', rows: (await result).rows };
  } finally {
    client.release();
  }
}

test('a claim reporting starts skips a job its completion holds, and counts the others', async () => {
  const [busy, free] = await heldAheadJobs('claim');
  await lockRow(busy);
  const claim = await finishesWithoutWaiting(
    `select * from S.claim_jobs('w', 'n', 1, 100, 0, 60, array['counting.count'], 20, 0, $1::bigint[])`,
    [[busy, free]],
  );
  expect(claim.waited).toBe(false);
  const rows = await sql(
    db,
    `select id::text, attempts, started_at is not null as started from S.jobs where id = any ($1::bigint[]) order by id`,
    [[busy, free]],
  );
  expect(rows).toEqual([
    { id: busy, attempts: 0, started: false }, // its completion counts the start (complete_jobs)
    { id: free, attempts: 1, started: true },
  ]);
});

test('a heartbeat renews what it can without waiting, and still reports a job its completion holds as held', async () => {
  const [busy, free] = await heldAheadJobs('heartbeat');
  await lockRow(busy);
  const beat = await finishesWithoutWaiting(
    `select id::text, cancel_requested from S.heartbeat('w', $1::bigint[], 60, $1::bigint[]) order by id`,
    [[busy, free]],
  );
  expect(beat.waited).toBe(false);
  expect(beat.rows).toEqual([
    { id: busy, cancel_requested: false },
    { id: free, cancel_requested: false },
  ]);
});
