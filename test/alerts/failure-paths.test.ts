// Every way a job fails for good records one final alert, written by the statement that
// fails the job: it commits with the failure and rolls back with it.
import { beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { deployTasks, sql, startWorker } from '../worker/worker-harness.js';

const db = useTestDatabase('alertpaths');
const TASKS = ['--tasks', 'test/fixtures/alerts/failing.ts', '--tasks', 'test/fixtures/workflow/chain/chain.ts'];

beforeAll(async () => {
  await deployTasks(db, TASKS);
});

test('an alert is written in the transaction that fails the job: a rolled-back failure leaves none', async () => {
  const [row] = await sql(db, `select job_id::text from S.enqueue('failing', 'explode', 0, '{"n": 1}')`);
  const id = row!.job_id;
  const client = await db.pool.connect();
  const alerts = async (): Promise<number> =>
    (await client.query(`select count(*)::int as n from "${db.schema}".job_alerts where job_id = $1`, [id])).rows[0].n;
  try {
    await client.query(`select * from "${db.schema}".claim_jobs('w', 'paths-node', 1, 100, 10, 60, null)`);
    await client.query('begin');
    await client.query(`select * from "${db.schema}".fail_jobs('w', $1::jsonb)`, [JSON.stringify([{ id: Number(id), message: 'boom' }])]);
    expect(await alerts()).toBe(1);
    await client.query('rollback');
    expect(await alerts()).toBe(0);
    expect((await sql(db, `select status from S.jobs where id = $1`, [id]))[0]!.status).toBe('running');

    await client.query(`select * from "${db.schema}".fail_jobs('w', $1::jsonb)`, [JSON.stringify([{ id: Number(id), message: 'boom' }])]);
    expect(await alerts()).toBe(1);
  } finally {
    client.release();
  }
  const [alert] = await sql(
    db,
    `select final, attempt, max_attempts, cause, message, worker_id, delivered_at from S.job_alerts where job_id = $1`,
    [id],
  );
  expect(alert).toEqual({ final: true, attempt: 1, max_attempts: 1, cause: 'error', message: 'boom', worker_id: 'w', delivered_at: null });
});

test('a dependent failed by its dependency and a job whose next task refused its result alert too, once each', async () => {
  const [downstream] = await sql(db, `select job_id::text from S.enqueue('failing', 'downstream', 0, '{"n": 7}')`);
  const [chained] = await sql(db, `select job_id::text from S.enqueue('chain', 'wrongType', 0, '{}')`);
  const exit = await startWorker(db, ['--until-empty', '--json', ...TASKS]).exited;
  expect(exit.code, exit.stderr).toBe(1);

  const rows = await sql(
    db,
    `select a.job_id::text, a.type_key || '.' || a.task_key as task, a.final, a.cause, a.message
       from S.job_alerts a where a.job_id <> (select min(job_id) from S.job_alerts) order by a.id`,
  );
  expect(rows).toHaveLength(3);
  const byTask = new Map(rows.map((r) => [r.task as string, r]));
  const dependency = byTask.get('failing.explode')!;
  expect(dependency).toMatchObject({ final: true, cause: 'error', message: 'exploded 7' });
  expect(byTask.get('failing.downstream')).toEqual({
    job_id: downstream!.job_id,
    task: 'failing.downstream',
    final: true,
    cause: 'dependency',
    message: `dependency failing.explode #${dependency.job_id} did not complete (failed)`,
  });
  expect(byTask.get('chain.wrongType')).toEqual({
    job_id: chained!.job_id,
    task: 'chain.wrongType',
    final: true,
    cause: 'next',
    message: 'completed, but next task chain.store refused its result: parameter "total" must be a number, got "many"',
  });
});
