// `jm explain` in each situation it names, each built for real: jobs enqueued and drained by
// `jm run`, a live worker (node n1, budget 10, one job at a time) busy with an 8-unit job, and
// finally that worker killed. For every waiting job, claim_jobs called as the live worker
// must take the job exactly when explain says "claimable".
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';
import { deployTasks, drain, sql, startWorker, waitFor, type WorkerProcess } from '../worker/worker-harness.js';
import { ALL_FIXTURES, EXPLAIN_TASKS, codes, enqueue, expectClaimAgrees, explain, reason } from './explain-harness.js';

const db = useTestDatabase('explain');
const ids: Record<string, string> = {};
let worker: WorkerProcess | null = null;

beforeAll(async () => {
  await deployTasks(db, ALL_FIXTURES);
  ids.flaky = await enqueue(db, 'explain_tasks.flaky', { label: 'x' });
  ids.doomed = await enqueue(db, 'explain_tasks.doomed', { label: 'a' });
  ids.completed = await enqueue(db, 'explain_tasks.base', { n: 100 });
  ids.later = await enqueue(db, 'explain_tasks.base', { n: 1 }, ['--delay', '1h']);
  ids.dependent = await enqueue(db, 'explain_tasks.needy', { n: 1 });
  // flaky fails once (its retry is an hour away), doomed fails for good, base 100 completes,
  // needy 1 finds its dependency base 1 waiting (not before an hour) and waits for it.
  await drain(db, [...EXPLAIN_TASKS, '--node', 'drainer']);
  ids.twin = await enqueue(db, 'explain_tasks.doomed', { label: 'a' }, ['--delay', '1h']);
  ids.keyCancelled = await enqueue(db, 'explain_tasks.base', { n: 200 }, ['--key', 'k1', '--delay', '1h']);
  expect((await runJm(['cancel', ...dbFlags(db), ids.keyCancelled])).code).toBe(0);
  ids.keyHolder = await enqueue(db, 'explain_tasks.base', { n: 201 }, ['--key', 'k1', '--delay', '1h']);
  ids.lonely = await enqueue(db, 'lonely.alone', { n: 1 });
}, 120_000);

afterAll(() => {
  worker?.child.kill('SIGKILL');
});

describe('with no worker running', () => {
  test('a job no live worker could claim says no worker is running', async () => {
    const e = await expectClaimAgrees(db, ids.lonely!);
    expect(e.status).toBe('waiting');
    expect(codes(e)).toEqual(['no_live_worker']);
    expect(e.claimable).toBe(false);
  });
});

describe('with a live worker busy on an 8-unit job (node n1, budget 10)', () => {
  beforeAll(async () => {
    ids.hog = await enqueue(db, 'explain_tasks.hog', { ms: 120_000 });
    worker = startWorker(db, [...EXPLAIN_TASKS, '--node', 'n1', '--process-units', '10', '--concurrency', '1', '--lease', '3s']);
    await waitFor('the hog job to start', async () => {
      const [row] = await sql(db, `select status, started_at from S.jobs where id = $1`, [ids.hog]);
      return row!.status === 'running' && row!.started_at !== null;
    });
    // Enqueued once the worker is full: it takes none of them (nothing is claimed ahead before a job has finished).
    ids.small = await enqueue(db, 'explain_tasks.base', { n: 10 });
    ids.wide = await enqueue(db, 'explain_tasks.wide', { n: 1 });
    ids.huge = await enqueue(db, 'explain_tasks.huge', { n: 1 });
    ids.unmet = await enqueue(db, 'explain_tasks.needy', { n: 2 });
    ids.chain = await enqueue(db, 'explain_tasks.top', { n: 3 });
    ids.fan = await enqueue(db, 'explain_tasks.paint', { color: 'ALL', size: 'ALL' });
    const started = await runJm(['workflow', 'start', ...dbFlags(db), 'flow', '--output', 'json']);
    expect(started.code, started.stderr).toBe(0);
    const [step] = await sql(db, `select job_id::text from S.workflow_run_steps where step_id = 'first'`);
    ids.step = step!.job_id;
  }, 60_000);

  test('a job that fits the free units of a worker that runs its task is claimable', async () => {
    const e = await expectClaimAgrees(db, ids.small!);
    expect(codes(e)).toEqual(['claimable']);
    expect(e.claimable).toBe(true);
    expect(reason(e, 'claimable').facts.workers).toEqual([expect.objectContaining({ node: 'n1', available: 2, free_slots: 0 })]);
    expect(reason(e, 'claimable').message).toContain('node n1 (2 units free)');
    // Not a claim rule, but why it still waits: the worker claims only for a free slot.
    expect(reason(e, 'claimable').message).toMatch(
      /that worker is running as many jobs as its --concurrency allows, and claims when one ends$/,
    );
  });

  test('a job whose units exceed what the node has free names the units in use and the jobs holding them', async () => {
    const e = await expectClaimAgrees(db, ids.wide!);
    expect(codes(e)).toEqual(['budget_full']);
    const facts = reason(e, 'budget_full').facts;
    expect(facts.process_units).toBe(5);
    expect(facts.nodes).toEqual([
      { node: 'n1', budget: 10, in_use: 8, jobs: [{ job_id: ids.hog, task: 'explain_tasks.hog', process_units: 8 }] },
    ]);
    expect(reason(e, 'budget_full').message).toBe(
      `it needs 5 process units and no node has them free: n1 has 8 of 10 in use (jobs ${ids.hog} explain_tasks.hog)`,
    );
  });

  test("a job larger than every live node's budget says so, with the budgets", async () => {
    const e = await expectClaimAgrees(db, ids.huge!);
    expect(codes(e)).toEqual(['too_large']);
    expect(reason(e, 'too_large').facts).toEqual({ process_units: 50, nodes: [{ node: 'n1', budget: 10 }] });
  });

  test('a job of a task no live worker has loaded says so', async () => {
    const e = await expectClaimAgrees(db, ids.lonely!);
    expect(codes(e)).toEqual(['task_not_loaded']);
    expect(reason(e, 'task_not_loaded').facts).toEqual({ task: 'lonely.alone', live_workers: 1 });
  });

  test('a job not to run before a later time says until when', async () => {
    const e = await expectClaimAgrees(db, ids.later!);
    expect(codes(e)).toEqual(['run_at_future']);
    const runAt = new Date(reason(e, 'run_at_future').facts.run_at as string).getTime();
    expect(runAt).toBeGreaterThan(Date.now() + 50 * 60_000);
  });

  test('a failed attempt waiting out its retry backoff says which attempt failed, why, and until when', async () => {
    const e = await expectClaimAgrees(db, ids.flaky!);
    expect(codes(e)).toEqual(['retry_backoff']);
    const r = reason(e, 'retry_backoff');
    expect(r.facts).toMatchObject({ attempts: 1, max_attempts: 3, error: 'flaky x' });
    expect(r.message).toMatch(/^attempt 1 of 3 failed \(flaky x\); it retries at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in 0?0:5\d:\d\d\)$/);
  });

  test('a job waiting for a dependency job names it, its task, its status and since when', async () => {
    const e = await expectClaimAgrees(db, ids.dependent!);
    expect(codes(e)).toEqual(['waiting_for_dependency']);
    expect(reason(e, 'waiting_for_dependency').facts).toMatchObject({ job_id: ids.later, task: 'explain_tasks.base', status: 'waiting' });
  });

  test('a claimable job whose dependency has not completed says the claim will insert it first, recursively', async () => {
    const e = await expectClaimAgrees(db, ids.unmet!);
    expect(codes(e)).toEqual(['claimable', 'dependency_unmet']);
    expect(reason(e, 'dependency_unmet').facts).toMatchObject({
      needed_by: 'job',
      task: 'explain_tasks.base',
      arguments: { n: 2 },
      priority: 1,
      new: true,
      status: 'to insert',
    });
    const chain = await expectClaimAgrees(db, ids.chain!);
    expect(
      chain.reasons.filter((r) => r.code === 'dependency_unmet').map((r) => [r.facts.needed_by, r.facts.task, r.facts.priority]),
    ).toEqual([
      ['job', 'explain_tasks.needy', 1],
      ['dependency 1', 'explain_tasks.base', 2],
    ]);
    // Explaining wrote nothing: the dependencies were planned in a rolled-back subtransaction.
    const [n] = await sql(
      db,
      `select count(*)::int as n from S.jobs where task_key in ('base', 'needy') and arguments->>'n' in ('2', '3')`,
    );
    expect(n!.n).toBe(1);
  });

  test('a claimable write-all job says how many jobs it will fan out into', async () => {
    const e = await expectClaimAgrees(db, ids.fan!);
    expect(codes(e)).toEqual(['claimable', 'fans_out']);
    expect(reason(e, 'fans_out').facts).toEqual({ total: 6, new: 6 });
  });

  test('a running job names its worker, node, lease and last heartbeat', async () => {
    const e = await explain(db, ids.hog!);
    expect(e.status).toBe('running');
    expect(codes(e)).toEqual(['leased']);
    const [w] = await sql(db, `select worker_id from S.workers where node = 'n1'`);
    expect(reason(e, 'leased').facts).toMatchObject({ worker_id: w!.worker_id, node: 'n1', attempt: 1, held_ahead: false });
    expect(reason(e, 'leased').facts.last_heartbeat_at).not.toBeNull();
    expect(reason(e, 'leased').message).toMatch(
      new RegExp(
        `^running attempt 1 of 3 since .* by worker ${w!.worker_id} on node n1 \\(pid \\d+\\); leased until .*, last heartbeat .*UTC$`,
      ),
    );
  });

  test("a workflow step's job names its run and the steps waiting for it", async () => {
    const e = await expectClaimAgrees(db, ids.step!);
    expect(codes(e)).toEqual(['claimable', 'dependency_unmet', 'workflow_step']);
    expect(reason(e, 'workflow_step').facts).toMatchObject({
      workflow: 'flow',
      run_status: 'running',
      step: 'first',
      waiting_steps: ['second'],
    });
  });

  test('finished jobs say how they ended, when, after how many attempts', async () => {
    const done = await explain(db, ids.completed!);
    expect(codes(done)).toEqual(['completed']);
    expect(reason(done, 'completed').message).toMatch(/^completed at .* UTC after 1 attempt on node drainer$/);
    const failed = await explain(db, ids.doomed!);
    expect(codes(failed)).toEqual(['failed', 'identical_twin']);
    expect(reason(failed, 'failed').facts).toMatchObject({ attempts: 1, max_attempts: 1 });
    expect(reason(failed, 'failed').message).toContain('doomed a');
    expect(reason(failed, 'identical_twin').facts).toMatchObject({ job_id: ids.twin, status: 'waiting' });
    const cancelled = await explain(db, ids.keyCancelled!);
    expect(codes(cancelled)).toEqual(['cancelled', 'keyed_twin']);
    expect(reason(cancelled, 'keyed_twin').facts).toMatchObject({ job_id: ids.keyHolder, job_key: 'k1' });
  });

  test('jm explain prints the reasons in words, and as JSON with --output json', async () => {
    const text = await runJm(['explain', ...dbFlags(db), ids.wide!]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      `job ${ids.wide} (explain_tasks.wide) is waiting\n  budget_full: it needs 5 process units and no node has them free: n1 has 8 of 10 in use (jobs ${ids.hog} explain_tasks.hog)\n`,
    );
    const json = await runJm(['explain', ...dbFlags(db), ids.small!, '--output', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      id: ids.small,
      task: 'explain_tasks.base',
      status: 'waiting',
      claimable: true,
      reasons: [{ code: 'claimable' }],
    });
  });

  test('a running job whose worker was killed says its lease expired and that it goes back to waiting', async () => {
    worker!.child.kill('SIGKILL');
    await worker!.exited;
    await waitFor(
      'the lease to lapse',
      async () => (await sql(db, `select lease_expires_at < now() as lapsed from S.jobs where id = $1`, [ids.hog]))[0]!.lapsed,
    );
    const e = await explain(db, ids.hog!);
    expect(codes(e)).toEqual(['lease_expired']);
    expect(reason(e, 'lease_expired').message).toContain('the next claim puts it back to waiting');
    // The claim returns the lapsed job first, so its units no longer hold the wide job back.
    const wide = await expectClaimAgrees(db, ids.wide!);
    expect(codes(wide)).toEqual(['claimable']);
  });
});

describe('bad input', () => {
  test('jm explain with an id that is not a number says so in one line and exits 1', async () => {
    const r = await runJm(['explain', ...dbFlags(db), 'abc']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('"abc"');
  });

  test('jm explain with an unknown id says so in one line and exits 1', async () => {
    const r = await runJm(['explain', ...dbFlags(db), '987654321']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('jm: No job with id 987654321\n');
  });

  test('the SQL function refuses an unknown id with SQLSTATE JM003', async () => {
    await expect(sql(db, `select * from S.explain_job(987654321)`)).rejects.toMatchObject({
      code: 'JM003',
      message: 'No job with id 987654321',
    });
  });
});
