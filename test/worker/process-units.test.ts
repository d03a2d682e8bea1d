// The node's process-unit budget holds however many workers race for it, and a job that
// can never fit is reported instead of silently starving.
import { enqueueJobs, resolveWorkerOptions } from 'jobmaster';
import { processUnitsFromEnvironment } from '../../packages/jobmaster/src/worker/worker-options.js';
import { beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { WORKER_FIXTURES, deployTasks, drain, sql } from './worker-harness.js';

const db = useTestDatabase('wunits');
const BUDGET = 10;

beforeAll(async () => deployTasks(db, WORKER_FIXTURES));

test('3 workers on one node never run more process units than its budget', async () => {
  const jobs = [
    ...Array.from({ length: 24 }, (_, n) => ({ typeKey: 'units', taskKey: 'one', args: { n, ms: 120 } })),
    ...Array.from({ length: 12 }, (_, n) => ({ typeKey: 'units', taskKey: 'three', args: { n, ms: 150 } })),
    ...Array.from({ length: 8 }, (_, n) => ({ typeKey: 'units', taskKey: 'five', args: { n, ms: 150 } })),
  ];
  // Shuffled so that every claim sees a mix of sizes.
  jobs.sort(() => Math.random() - 0.5);
  await enqueueJobs(db.pool, db.schema, [...jobs, { typeKey: 'units', taskKey: 'huge', args: { n: 1 } }]);

  let sampling = true;
  const samples: number[] = [];
  const sampler = (async () => {
    while (sampling) {
      const rows = await sql<{ node: string; units: number }>(
        db,
        `select node, sum(process_units)::int as units from S.jobs where status = 'running' group by node`,
      );
      for (const r of rows) {
        expect(r.node).toBe('shared-node');
        samples.push(r.units);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const flags = [...WORKER_FIXTURES, '--node', 'shared-node', '--process-units', String(BUDGET), '--concurrency', '10'];
  const runs = await Promise.all([1, 2, 3].map(() => drain(db, flags)));
  sampling = false;
  await sampler;

  for (const run of runs) expect(run.code, run.stderr).toBe(0);
  expect(samples.length).toBeGreaterThan(20);
  expect(Math.max(...samples)).toBeLessThanOrEqual(BUDGET);
  // The budget was actually contended, not trivially respected.
  expect(Math.max(...samples)).toBeGreaterThanOrEqual(BUDGET - 2);
  expect(runs.reduce((sum, r) => sum + (r.summary.completed as number), 0)).toBe(jobs.length);

  // The job larger than the whole budget stays waiting and every worker reports it.
  const [huge] = await sql(db, `select id, status from S.jobs where task_key = 'huge'`);
  expect(huge!.status).toBe('waiting');
  for (const run of runs) {
    expect(run.summary.tooLarge).toEqual([{ id: String(huge!.id), task: 'units.huge', processUnits: 50 }]);
    expect(run.stderr).toMatch(/more process units than this node's whole budget of 10/);
  }
});

test('the budget comes from JOBMASTER_SYSTEM_PROCESS_UNITS when no flag is given', async () => {
  // With 60 units from the environment, the 50-unit job left waiting above fits and runs.
  const run = await drain(db, [...WORKER_FIXTURES, '--node', 'env-node'], { JOBMASTER_SYSTEM_PROCESS_UNITS: '60' });
  expect(run.code, run.stderr).toBe(0);
  expect(run.summary.completed).toBe(1);
  const [huge] = await sql(db, `select status, node from S.jobs where task_key = 'huge'`);
  expect(huge).toEqual({ status: 'complete', node: 'env-node' });
});

test('a budget that is not an integer falls back to 10,000', () => {
  expect(processUnitsFromEnvironment({ JOBMASTER_SYSTEM_PROCESS_UNITS: '12' })).toBe(12);
  expect(processUnitsFromEnvironment({ JOBMASTER_SYSTEM_PROCESS_UNITS: '1.5' })).toBe(10_000);
  expect(processUnitsFromEnvironment({ JOBMASTER_SYSTEM_PROCESS_UNITS: 'lots' })).toBe(10_000);
  expect(processUnitsFromEnvironment({})).toBe(10_000);
});

test('a budget beyond what the database stores is capped there, and a worker option beyond it is refused by name', () => {
  expect(processUnitsFromEnvironment({ JOBMASTER_SYSTEM_PROCESS_UNITS: '99999999999' })).toBe(2_147_483_647);
  expect(resolveWorkerOptions({ processUnits: 2_147_483_647 }).processUnits).toBe(2_147_483_647);
  expect(() => resolveWorkerOptions({ processUnits: 2_147_483_648 })).toThrow(
    'Worker option processUnits must be an integer from 0 to 2147483647, got 2147483648',
  );
  // A Node.js timer cannot wait longer: it would fire at once, and the worker would poll every millisecond.
  expect(() => resolveWorkerOptions({ pollInterval: 2 ** 31 })).toThrow(
    'Worker option pollInterval must be a positive number of at most 2147483647',
  );
});

test('a claim under a binding budget takes the highest-priority jobs that fit, skipping ones too large', async () => {
  const claim = (node: string, tasks: string[]): Promise<Array<Record<string, unknown>>> =>
    sql(db, `select task_key, priority from S.claim_jobs('units-test', $1, 1, $2, 100, 60, $3::text[])`, [node, BUDGET, tasks]);
  const enqueue = (jobs: Array<[string, number]>): Promise<unknown> =>
    enqueueJobs(
      db.pool,
      db.schema,
      jobs.map(([taskKey, priority]) => ({ typeKey: 'units', taskKey, priority, args: { n: 1000 + priority, ms: 0 } })),
    );
  // Jobs of one size: the three best that fit in 10 units.
  await enqueue([6, 5, 4, 3, 2, 1].map((p) => ['three', p] as [string, number]));
  expect(await claim('node-equal', ['units.three'])).toEqual([6, 5, 4].map((priority) => ({ task_key: 'three', priority })));
  // Mixed sizes, best first: five (5 left), three (2 left), the second five does not fit, one (1 left).
  await enqueue([
    ['five', 19],
    ['three', 18],
    ['five', 17],
    ['one', 16],
  ]);
  expect(await claim('node-mixed', ['units.one', 'units.three', 'units.five'])).toEqual([
    { task_key: 'five', priority: 19 },
    { task_key: 'three', priority: 18 },
    { task_key: 'one', priority: 16 },
  ]);
  await sql(db, `delete from S.jobs where (arguments ->> 'n')::int >= 1000`);
});
