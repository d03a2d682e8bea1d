// Workflows with real worker processes: a cron schedule starts one run per tick however many
// workers run, and a worker killed with SIGKILL mid-run loses nothing: the run completes and
// no step runs twice except the one in flight.
import { join } from 'node:path';
import { JobMaster } from 'jobmaster';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { lines, sql, startWorker, stopWorkers, tempDir, waitFor, type WorkerProcess } from '../worker/worker-harness.js';
import { ETL, deployWorkflows, runOf, stepsOf } from './run-support.js';

const db = useTestDatabase('wfwork');
const dir = tempDir();
let jm: JobMaster;
const started: WorkerProcess[] = [];

beforeAll(async () => {
  await deployWorkflows(db, [...ETL, '--workflows', 'test/fixtures/workflow/crash/*']);
  jm = new JobMaster({ pool: db.pool, schema: db.schema });
});

afterAll(() => {
  for (const w of started) w.child.kill('SIGKILL');
});

test('a worker killed with SIGKILL mid-run: the run completes and only the step in flight runs twice', async () => {
  const file = join(dir, 'crash.txt');
  const runId = await jm.startWorkflow('crash', { file });
  const doomed = startWorker(db, [...ETL, '--lease', '2s', '--heartbeat', '500ms']);
  started.push(doomed);
  await waitFor('the slow step to run', () => lines(file).some((l) => l.startsWith('slow ')), 60_000);
  doomed.child.kill('SIGKILL');
  await doomed.exited;
  const rescuer = startWorker(db, [...ETL, '--lease', '2s', '--heartbeat', '500ms']);
  started.push(rescuer);
  await waitFor('the run to complete', async () => (await runOf(db, runId)).status === 'complete', 60_000);
  await stopWorkers([rescuer]);
  const ran = lines(file).map((l) => l.split(' ')[0]);
  expect(ran.sort()).toEqual(['after-slow', 'first', 'slow', 'slow']);
  const steps = await stepsOf(db, runId);
  expect(steps.slow).toMatchObject({ status: 'complete', result: 'slow' });
  expect(steps.last).toMatchObject({ status: 'complete', arguments: { file, step: 'after-slow', ms: 0 } });
  expect((await sql(db, `select count(*)::int as n from S.jobs where workflow_run_id = $1`, [runId]))[0]!.n).toBe(3);
});

test('a cron schedule starts one run per tick however many workers run', async () => {
  await deployWorkflows(db, [...ETL, '--workflows', 'test/fixtures/workflow/crash/*', '--workflows', 'test/fixtures/workflow/cron/*']);
  const workers = [1, 2, 3].map((n) => startWorker(db, [...ETL, '--node', `cron-${n}`]));
  started.push(...workers);
  await waitFor(
    'four complete scheduled runs',
    async () =>
      (await sql(db, `select count(*)::int as n from S.workflow_runs where schedule_tick is not null and status = 'complete'`))[0]!.n >= 4,
    60_000,
  );
  await sql(db, `update S.schedules set paused = true`);
  await stopWorkers(workers);
  const runs = await sql(
    db,
    `select id::text, schedule_tick, status from S.workflow_runs where schedule_tick is not null order by schedule_tick`,
  );
  const ticks = runs.map((r) => (r.schedule_tick as Date).getTime());
  expect(new Set(ticks).size).toBe(ticks.length);
  // One tick a second: consecutive runs are one second apart (latest catch-up fires no duplicates).
  for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBeGreaterThanOrEqual(1000);
  for (const run of runs) {
    const jobs = await sql(db, `select task_key, arguments from S.jobs where workflow_run_id = $1 order by id`, [run.id]);
    if (run.status === 'complete')
      expect(jobs).toEqual([
        { task_key: 'ping', arguments: { note: 'hi' } },
        { task_key: 'tidy', arguments: { keep: 3 } },
      ]);
  }
});
