// Keyed jobs: a key held by a waiting or running job is resolved by the conflict mode, through
// SQL, the CLI and TypeScript, and concurrent inserts of one key leave exactly one job.
import { JobKeyConflictError, JobMaster, type EnqueueResult } from 'jobmaster';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('keys');
const TASKS = ['--tasks', 'test/fixtures/schedule/stamp.ts'];
let jm: JobMaster;

beforeAll(async () => {
  expect((await runJm(['deploy', ...dbFlags(db), ...TASKS])).code).toBe(0);
  jm = new JobMaster({ pool: db.pool, schema: db.schema });
});
afterAll(async () => jm.close());

async function jobsWithKey(key: string): Promise<Array<{ id: string; status: string; arguments: { n: number }; priority: number }>> {
  const { rows } = await db.pool.query(
    `select id::text, status, arguments, priority from "${db.schema}".jobs where job_key = $1 order by id`,
    [key],
  );
  return rows;
}

/** Runs `work` on 20 separate connections released at once, so the inserts truly race. */
async function race<T>(work: (client: pg.PoolClient, i: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  const pool = new pg.Pool({ connectionString: db.url, max: 20 });
  try {
    const clients = await Promise.all(Array.from({ length: 20 }, () => pool.connect()));
    try {
      return await Promise.allSettled(clients.map((c, i) => work(c, i)));
    } finally {
      for (const c of clients) c.release();
    }
  } finally {
    await pool.end();
  }
}

describe('20 concurrent inserts of one key leave exactly one job', () => {
  test('raise: one insert wins, the other 19 get JobKeyConflictError naming the winner', async () => {
    const results = await race((client, i) => jm.enqueueDetailed('stamp.record', { n: i }, { jobKey: 'race-raise', client }));
    const won = results.filter((r): r is PromiseFulfilledResult<EnqueueResult> => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(won[0]!.value.outcome).toBe('inserted');
    expect(lost).toHaveLength(19);
    for (const r of lost) {
      expect(r.reason).toBeInstanceOf(JobKeyConflictError);
      expect((r.reason as JobKeyConflictError).existingJobId).toBe(won[0]!.value.id);
      expect((r.reason as JobKeyConflictError).jobKey).toBe('race-raise');
    }
    expect((await jobsWithKey('race-raise')).map((j) => j.id)).toEqual([won[0]!.value.id]);
  });

  test('ignore: all 20 get the same id, one of them inserted it', async () => {
    const results = await race((client, i) =>
      jm.enqueueDetailed('stamp.record', { n: i }, { jobKey: 'race-ignore', onConflict: 'ignore', client }),
    );
    const values = results.map((r) => (r as PromiseFulfilledResult<EnqueueResult>).value);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(new Set(values.map((v) => v.id)).size).toBe(1);
    expect(values.filter((v) => v.outcome === 'inserted')).toHaveLength(1);
    expect(values.filter((v) => v.outcome === 'existing')).toHaveLength(19);
    const jobs = await jobsWithKey('race-ignore');
    expect(jobs).toHaveLength(1);
    // The first insert's arguments stay: ignore changes nothing.
    const first = values.findIndex((v) => v.outcome === 'inserted');
    expect(jobs[0]!.arguments.n).toBe(first);
  });

  test('replace: all 20 get the same id; the one job holds the arguments and priority of a single request', async () => {
    const results = await race((client, i) =>
      jm.enqueueDetailed('stamp.record', { n: i }, { jobKey: 'race-replace', onConflict: 'replace', priority: i, client }),
    );
    const values = results.map((r) => (r as PromiseFulfilledResult<EnqueueResult>).value);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(new Set(values.map((v) => v.id)).size).toBe(1);
    expect(values.filter((v) => v.outcome === 'inserted')).toHaveLength(1);
    expect(values.filter((v) => v.outcome === 'replaced')).toHaveLength(19);
    const jobs = await jobsWithKey('race-replace');
    expect(jobs).toHaveLength(1);
    // Arguments and priority come from one single request, never a mix.
    expect(jobs[0]!.priority).toBe(jobs[0]!.arguments.n);
    const { rows } = await db.pool.query(`select count(*)::int as n from "${db.schema}".job_events where job_id = $1`, [jobs[0]!.id]);
    expect(rows[0].n).toBe(19);
  });
});

describe('conflict modes', () => {
  test('a waiting job holding the key is replaced in place: arguments, priority and run-at', async () => {
    const first = await jm.enqueueDetailed('stamp.record', { n: 1 }, { jobKey: 'in-place', runAt: new Date(Date.now() + 3_600_000) });
    const runAt = new Date(Date.now() + 7_200_000);
    const second = await jm.enqueueDetailed('stamp.record', { n: 2 }, { jobKey: 'in-place', onConflict: 'replace', priority: 7, runAt });
    expect(second).toEqual({ id: first.id, inserted: false, outcome: 'replaced' });
    const { rows } = await db.pool.query(`select arguments, priority, run_at from "${db.schema}".jobs where id = $1`, [first.id]);
    expect(rows[0]).toEqual({ arguments: { n: 2 }, priority: 7, run_at: runAt });
  });

  test('a running job holding the key keeps running without retries; replace inserts a new job with the key', async () => {
    const running = await jm.enqueue('stamp.record', { n: 1 }, { jobKey: 'busy' });
    await db.pool.query(`update "${db.schema}".jobs set status = 'running', attempts = 1 where id = $1`, [running]);
    const result = await jm.enqueueDetailed('stamp.record', { n: 2 }, { jobKey: 'busy', onConflict: 'replace' });
    expect(result.outcome).toBe('superseded');
    expect(result.inserted).toBe(true);
    const { rows } = await db.pool.query(
      `select id::text, status, job_key, attempts, max_attempts from "${db.schema}".jobs where id in ($1, $2) order by id`,
      [running, result.id],
    );
    expect(rows).toEqual([
      { id: running, status: 'running', job_key: null, attempts: 1, max_attempts: 1 },
      { id: result.id, status: 'waiting', job_key: 'busy', attempts: 0, max_attempts: 3 },
    ]);
    // ignore and raise see the running job as holding the key.
    await db.pool.query(`update "${db.schema}".jobs set job_key = 'busy2', status = 'running' where id = $1`, [running]);
    expect(await jm.enqueue('stamp.record', { n: 3 }, { jobKey: 'busy2', onConflict: 'ignore' })).toBe(running);
    await expect(jm.enqueue('stamp.record', { n: 3 }, { jobKey: 'busy2' })).rejects.toThrow(/already running \(job \d+\)/);
  });

  test('a finished job frees its key', async () => {
    const first = await jm.enqueue('stamp.record', { n: 1 }, { jobKey: 'done' });
    await db.pool.query(`update "${db.schema}".jobs set status = 'complete', finished_at = now() where id = $1`, [first]);
    const second = await jm.enqueueDetailed('stamp.record', { n: 1 }, { jobKey: 'done' });
    expect(second.outcome).toBe('inserted');
    expect(second.id).not.toBe(first);
  });

  test('a key is the identity: keyed jobs with identical arguments are separate jobs, unkeyed ones still merge', async () => {
    const plain = await jm.enqueue('stamp.record', { n: 42 });
    const a = await jm.enqueue('stamp.record', { n: 42 }, { jobKey: 'same-args-a' });
    const b = await jm.enqueue('stamp.record', { n: 42 }, { jobKey: 'same-args-b' });
    expect(new Set([plain, a, b]).size).toBe(3);
    expect(await jm.enqueueDetailed('stamp.record', { n: 42 })).toEqual({ id: plain, inserted: false, outcome: 'identical' });
  });

  test('a key is per task: the same key on two tasks names two jobs', async () => {
    const a = await jm.enqueue('stamp.record', { n: 1 }, { jobKey: 'per-task' });
    const b = await jm.enqueue('stamp.other', { n: 1 }, { jobKey: 'per-task' });
    expect(b).not.toBe(a);
    await expect(jm.enqueue('stamp.other', { n: 2 }, { jobKey: 'per-task' })).rejects.toBeInstanceOf(JobKeyConflictError);
  });

  test('in one batch, a later job sees an earlier one with the same key', async () => {
    const ids = await jm.enqueueMany([
      { task: 'stamp.record', args: { n: 1 }, jobKey: 'batch' },
      { task: 'stamp.record', args: { n: 2 }, jobKey: 'batch', onConflict: 'replace' },
      { task: 'stamp.record', args: { n: 3 }, jobKey: 'batch', onConflict: 'ignore' },
    ]);
    expect(new Set(ids).size).toBe(1);
    expect((await jobsWithKey('batch'))[0]!.arguments.n).toBe(2);
    await expect(
      jm.enqueueMany([
        { task: 'stamp.record', args: { n: 501 } },
        { task: 'stamp.record', args: { n: 502 }, jobKey: 'batch' },
      ]),
    ).rejects.toBeInstanceOf(JobKeyConflictError);
    // All or none: the first job of the failed batch was not inserted. (Its n is one no other
    // test uses: the race tests above leave jobs with n from 0 to 19.)
    const { rows } = await db.pool.query(`select count(*)::int as n from "${db.schema}".jobs where arguments = '{"n": 501}'`);
    expect(rows[0].n).toBe(0);
  });

  test('bad keys and modes are rejected with one-line messages', async () => {
    await expect(jm.enqueue('stamp.record', {}, { jobKey: '' })).rejects.toThrow(/jobKey must be a string of 1 to 255 characters/);
    await expect(jm.enqueue('stamp.record', {}, { jobKey: 'x'.repeat(256) })).rejects.toThrow(/1 to 255/);
    await expect(jm.enqueue('stamp.record', {}, { jobKey: 'k', onConflict: 'merge' as never })).rejects.toThrow(/onConflict must be/);
    await expect(
      db.pool.query(`select * from "${db.schema}".enqueue('stamp', 'record', 0, '{}', null, null, 'k', 'merge')`),
    ).rejects.toThrow(/on_conflict must be raise, ignore or replace, got "merge"/);
  });
});

describe('the SQL and CLI doors', () => {
  test('call insert_job keeps its original form and takes job_key and on_conflict by name', async () => {
    const plain = await db.pool.query(`call "${db.schema}".insert_job('stamp', 'record', 10, '{"n": 100}'::json)`);
    expect(plain.rows[0].job_id).toMatch(/^\d+$/);
    const keyed = await db.pool.query(`call "${db.schema}".insert_job('stamp', 'record', 10, '{"n": 101}'::json, job_key => 'sql-key')`);
    const again = await db.pool.query(
      `call "${db.schema}".insert_job('stamp', 'record', 10, '{"n": 102}'::json, job_key => 'sql-key', on_conflict => 'ignore')`,
    );
    expect(again.rows[0].job_id).toBe(keyed.rows[0].job_id);
    await expect(
      db.pool.query(`call "${db.schema}".insert_job('stamp', 'record', 10, '{"n": 103}'::json, job_key => 'sql-key')`),
    ).rejects.toMatchObject({
      code: 'JM004',
    });
  });

  test('jm enqueue --key --on-conflict', async () => {
    const first = await runJm(['enqueue', 'stamp', 'record', '--json', '{"n": 7}', '--key', 'cli-key', ...dbFlags(db)]);
    expect(first.code).toBe(0);
    const id = first.stdout.trim();
    const conflict = await runJm(['enqueue', 'stamp', 'record', '--json', '{"n": 8}', '--key', 'cli-key', ...dbFlags(db)]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr.trim()).toBe(
      `jm: stamp.record: a job with key "cli-key" is already waiting (job ${id}); enqueue with onConflict "ignore" (or --on-conflict ignore) to reuse it, or "replace" to update it`,
    );
    const replaced = await runJm([
      'enqueue',
      'stamp',
      'record',
      '--json',
      '{"n": 9}',
      '--key',
      'cli-key',
      '--on-conflict',
      'replace',
      '--output',
      'json',
      ...dbFlags(db),
    ]);
    expect(replaced.code).toBe(0);
    expect(JSON.parse(replaced.stdout)).toMatchObject({ id, inserted: false, outcome: 'replaced', task: 'stamp.record' });
    const bad = await runJm(['enqueue', 'stamp', 'record', '--on-conflict', 'ignore', ...dbFlags(db)]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--on-conflict needs --key/);
  });
});
