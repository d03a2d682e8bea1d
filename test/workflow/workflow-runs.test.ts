// Runs: every door starts one, steps are ordinary jobs that run in parallel where they can,
// results flow to dependents, a failure fails the run and skips what had not started, and a
// run can be cancelled and retried reusing completed steps' results.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobMaster, UnknownWorkflowError, WorkflowRunKeyConflictError, InvalidArgumentsError } from 'jobmaster';
import { beforeAll, describe, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';
import { drain, sql, tempDir, waitFor } from '../worker/worker-harness.js';
import { ETL, deployWorkflows, runOf, stepsOf } from './run-support.js';

const db = useTestDatabase('wfrun');
const dir = tempDir();
let jm: JobMaster;

beforeAll(async () => {
  await deployWorkflows(db);
  jm = new JobMaster({ pool: db.pool, schema: db.schema });
});

describe('deploy', () => {
  test('syncs workflows, reports them, and leaves them unchanged the second time', async () => {
    const rows = await sql(db, `select name from S.workflows order by name`);
    expect(rows.map((r) => r.name)).toEqual(['code-chain', 'etl', 'failing', 'fan-out', 'mismatch', 'nuts-pipeline', 'swiss-chain']);
    expect(await deployWorkflows(db)).toContain('Workflows unchanged: 7.');
  });

  test('an invalid workflow stops the deploy before anything is written', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'workflow:\n  name: bad\n  steps: [ping, nope]\n');
    const result = await runJm(['deploy', ...dbFlags(db), ...ETL, '--workflows', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('jm: workflow "bad", step "nope": unknown task "nope" ("jm tasks" lists the registered tasks)');
    const rows = await sql(db, `select name from S.workflows order by name`);
    expect(rows).toHaveLength(7);
  });
});

describe('every door starts a run', () => {
  test('SQL: call start_workflow returns the run id; the first step is a job of its task, linked to the run', async () => {
    const [row] = await sql(db, `call S.start_workflow('etl', '{"day": "sql-door"}'::json)`);
    const runId = String(row!.run_id);
    const steps = await stepsOf(db, runId);
    expect(steps.extract).toMatchObject({ status: 'started', arguments: { day: 'sql-door' } });
    expect(steps.transform!.status).toBe('pending');
    const [job] = await sql(db, `select workflow_run_id::text, job_key from S.jobs where id = $1`, [steps.extract!.job_id]);
    expect(job).toEqual({ workflow_run_id: runId, job_key: `workflow:${runId}:extract` });
  });

  test('CLI: jm workflow start prints the run id; bad parameters give one line and exit 1', async () => {
    const started = await runJm(['workflow', 'start', 'etl', '--json', '{"day": "cli-door"}', ...dbFlags(db)]);
    expect(started.code).toBe(0);
    expect(started.stdout.trim()).toMatch(/^\d+$/);
    expect((await runOf(db, started.stdout.trim())).params).toEqual({ day: 'cli-door', label: 'nightly' });
    const bad = await runJm(['workflow', 'start', 'etl', '--json', '{"day": 5}', ...dbFlags(db)]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('jm: workflow etl: parameter "day" must be a string, got 5');
  });

  test("TypeScript: startWorkflow, also inside the caller's transaction (a rollback leaves no run)", async () => {
    const runId = await jm.startWorkflow('etl', { day: 'ts-door' });
    expect((await runOf(db, runId)).status).toBe('running');
    const client = await db.pool.connect();
    let inside: string;
    try {
      await client.query('begin');
      inside = await jm.startWorkflow('etl', { day: 'rolled-back' }, { client });
      await client.query('rollback');
    } finally {
      client.release();
    }
    expect(await sql(db, `select id from S.workflow_runs where id = $1`, [inside])).toEqual([]);
    await expect(jm.startWorkflow('nope')).rejects.toBeInstanceOf(UnknownWorkflowError);
    await expect(jm.startWorkflow('etl', {})).rejects.toThrow('workflow etl: missing required parameter "day"');
    await expect(jm.startWorkflow('etl', { day: 'x', extra: 1 })).rejects.toBeInstanceOf(InvalidArgumentsError);
  });

  test('TypeScript and SQL: startWorkflows starts many runs in one call, in order, all or none', async () => {
    const ids = await jm.startWorkflows('etl', [{ day: 'batch-1' }, { day: 'batch-2', label: 'b' }, { day: 'batch-3' }]);
    expect(ids).toHaveLength(3);
    for (const [i, id] of ids.entries()) {
      const run = await runOf(db, id);
      expect(run).toMatchObject({ status: 'running', params: { day: `batch-${i + 1}`, label: i === 1 ? 'b' : 'nightly' } });
      const steps = await stepsOf(db, id);
      expect(steps.extract).toMatchObject({ status: 'started', arguments: { day: `batch-${i + 1}` } });
      expect(steps.load).toMatchObject({ status: 'pending', job_id: null });
    }
    const count = async (): Promise<number> => (await sql(db, `select count(*)::int as n from S.workflow_runs`))[0]!.n as number;
    const before = await count();
    await expect(jm.startWorkflows('etl', [{ day: 'fine' }, { label: 'x' }])).rejects.toThrow(
      'run 2 of 2: workflow etl: missing required parameter "day"',
    );
    await expect(jm.startWorkflows('etl', [{ day: 'fine' }, null as never])).rejects.toBeInstanceOf(InvalidArgumentsError);
    await expect(jm.startWorkflows('nope', [{}])).rejects.toBeInstanceOf(UnknownWorkflowError);
    expect(await count()).toBe(before);
    expect(await jm.startWorkflows('etl', [])).toEqual([]);

    const fromSql = await sql(db, `select run_id::text from S.start_workflow_runs('etl', '[{"day": "sql-1"}, {"day": "sql-2"}]')`);
    expect(fromSql.map((r) => Number(r.run_id))).toEqual([Number(fromSql[0]!.run_id), Number(fromSql[0]!.run_id) + 1]);
    await expect(sql(db, `select * from S.start_workflow_runs('etl', '{"day": "x"}')`)).rejects.toThrow(
      'workflow "etl": start_workflow_runs expects a JSON array of parameter objects',
    );
  });

  test('in a batch, a root that cannot start fails its own run only; the others start', async () => {
    const [eu, all, us] = await jm.startWorkflows('fan-out', [{ region: 'eu' }, { region: 'ALL' }, { region: 'us' }]);
    expect((await runOf(db, all!)).status).toBe('failed');
    expect((await stepsOf(db, all!)).shard!.message).toContain('parameter "region" is "ALL": a workflow step cannot fan out');
    for (const id of [eu!, us!]) expect((await stepsOf(db, id)).shard).toMatchObject({ status: 'started' });
  });

  test('a run key raises, ignores or replaces as a job key does', async () => {
    const first = await jm.startWorkflow('etl', { day: 'keyed' }, { runKey: 'nightly' });
    await expect(jm.startWorkflow('etl', { day: 'keyed' }, { runKey: 'nightly' })).rejects.toBeInstanceOf(WorkflowRunKeyConflictError);
    expect(await jm.startWorkflowDetailed('etl', { day: 'keyed' }, { runKey: 'nightly', onConflict: 'ignore' })).toEqual({
      runId: first,
      outcome: 'existing',
    });
    const replaced = await jm.startWorkflowDetailed('etl', { day: 'keyed2' }, { runKey: 'nightly', onConflict: 'replace' });
    expect(replaced.outcome).toBe('replaced');
    expect((await runOf(db, first)).status).toBe('cancelled');
    expect((await runOf(db, replaced.runId)).status).toBe('running');
  });

  test('a step job is never merged with an identical job outside the run', async () => {
    const plain = await jm.enqueue('etl.extract', { day: 'twin' });
    const runId = await jm.startWorkflow('etl', { day: 'twin' });
    const steps = await stepsOf(db, runId);
    expect(steps.extract!.job_id).not.toBe(plain);
    expect(await jm.enqueue('etl.extract', { day: 'twin' })).toBe(plain);
  });
});

describe('running', () => {
  let runId: string;
  beforeAll(async () => {
    await sql(db, `update S.workflow_runs set status = 'cancelled' where status = 'running'`);
    await sql(db, `update S.jobs set status = 'cancelled' where status = 'waiting'`);
    runId = await jm.startWorkflow('etl', { day: '2026-12-03' });
    const run = await drain(db, [...ETL, '--concurrency', '4']);
    expect(run.code, run.stderr).toBe(0);
  });

  test('the run completes with every step complete', async () => {
    expect((await runOf(db, runId)).status).toBe('complete');
    const steps = await stepsOf(db, runId);
    expect(Object.values(steps).map((s) => s.status)).toEqual(['complete', 'complete', 'complete', 'complete']);
  });

  test('results pass to dependents as referenced', async () => {
    const steps = await stepsOf(db, runId);
    expect(steps.extract!.result).toEqual({ rows: 100, day: '2026-12-03' });
    expect(steps.transform!.arguments).toEqual({ rows: 100, label: 'nightly' });
    expect(steps.audit!.arguments).toEqual({ day: '2026-12-03' });
    expect(steps.load!.arguments).toEqual({ rows: 200, audited: '2026-12-03' });
    expect(steps.load!.result).toEqual({ loaded: 200, audited: '2026-12-03' });
  });

  test('parallel branches start together; the fan-in starts only after both', async () => {
    const steps = await stepsOf(db, runId);
    // Created in the transaction that completed extract: the same now().
    expect(steps.transform!.created_at).toEqual(steps.audit!.created_at);
    expect(steps.transform!.created_at.getTime()).toBeGreaterThanOrEqual(steps.extract!.finished_at.getTime());
    const lastBranch = Math.max(steps.transform!.finished_at.getTime(), steps.audit!.finished_at.getTime());
    expect(steps.load!.created_at.getTime()).toBeGreaterThanOrEqual(lastBranch);
  });

  test('NUTS and SwissCAT shaped workflows run too', async () => {
    const nuts = await jm.startWorkflow('nuts-pipeline');
    const swiss = await jm.startWorkflow('swiss-chain');
    expect((await drain(db, ETL)).code).toBe(0);
    expect((await runOf(db, nuts)).status).toBe('complete');
    expect((await stepsOf(db, swiss)).paint!.result).toBe('bluex2');
  });
});

describe('failure, retry and cancel', () => {
  test('a step that fails for good fails the run, skips what had not started and lets running steps finish; retry reuses completed results', async () => {
    const marker = join(dir, 'flaky-marker');
    rmSync(marker, { force: true });
    const runId = await jm.startWorkflow('failing', { marker });
    await drain(db, ETL);
    const run = await runOf(db, runId);
    expect(run.status).toBe('failed');
    expect(run.message).toBe('step "flaky" failed: failed on attempt 1 of 1: flaky failed the first time');
    let steps = await stepsOf(db, runId);
    expect(Object.fromEntries(Object.entries(steps).map(([id, s]) => [id, s.status]))).toEqual({
      ping: 'complete',
      flaky: 'failed',
      tidy: 'complete',
      paint: 'skipped',
    });
    expect(existsSync(marker)).toBe(true);
    const pingJob = steps.ping!.job_id;
    const failedJob = steps.flaky!.job_id;

    const retried = await runJm(['workflow', 'retry', runId, ...dbFlags(db)]);
    expect(retried.stdout.trim()).toBe(`Run ${runId} retried: flaky, paint will run again.`);
    await drain(db, ETL);
    expect((await runOf(db, runId)).status).toBe('complete');
    steps = await stepsOf(db, runId);
    expect(steps.ping!.job_id).toBe(pingJob);
    expect(steps.flaky!.past_job_ids).toEqual([failedJob]);
    expect(steps.paint!.result).toBe('redx2');
    expect((await sql(db, `select count(*)::int as n from S.jobs where workflow_run_id = $1 and task_key = 'ping'`, [runId]))[0]!.n).toBe(
      1,
    );

    const from = await runJm(['workflow', 'retry', runId, '--from', 'tidy', ...dbFlags(db)]);
    expect(from.stdout.trim()).toBe(`Run ${runId} retried: tidy, paint will run again.`);
    await drain(db, ETL);
    steps = await stepsOf(db, runId);
    expect(steps.tidy!.past_job_ids).toHaveLength(1);
    expect(steps.ping!.job_id).toBe(pingJob);
  });

  test('a result that does not fit the receiving task fails that step, naming both steps and the parameter', async () => {
    const runId = await jm.startWorkflow('mismatch');
    await drain(db, ETL);
    const steps = await stepsOf(db, runId);
    expect(steps.transform!.status).toBe('failed');
    expect(steps.transform!.job_id).toBeNull();
    expect(steps.transform!.message).toBe(
      'step "transform" could not start: parameter "rows" from step "audit" (${{ steps.audit.result.audited }}) does not fit etl.transform: etl.transform: parameter "rows" must be a number, got "monday"',
    );
    expect((await runOf(db, runId)).status).toBe('failed');
  });

  test('a step given "ALL" by a parameter fails its run instead of fanning out behind its back', async () => {
    const runId = await jm.startWorkflow('fan-out', { region: 'ALL' });
    const steps = await stepsOf(db, runId);
    expect(steps.shard).toMatchObject({ status: 'failed', job_id: null });
    expect(steps.shard!.message).toBe(
      'step "shard" could not start: etl.shard: parameter "region" is "ALL": a workflow step cannot fan out (its run would not wait for the fanned-out jobs); declare a step for each value',
    );
    expect((await runOf(db, runId)).status).toBe('failed');
    const fine = await jm.startWorkflow('fan-out', { region: 'eu' });
    await drain(db, ETL);
    expect((await stepsOf(db, fine)).shard).toMatchObject({ status: 'complete', result: 'eu' });
  });

  test('rerunning a step whose job has not ended is refused, and changes nothing', async () => {
    const runId = await jm.startWorkflow('etl', { day: 'still-running' });
    // The run failed elsewhere while extract's job still waits (as when a parallel step fails).
    await sql(db, `update S.workflow_runs set status = 'failed', finished_at = now() where id = $1`, [runId]);
    const before = await stepsOf(db, runId);
    const refused = await runJm(['workflow', 'retry', runId, '--from', 'extract', ...dbFlags(db)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `jm: workflow run ${runId}: step "extract" is still running (job ${before.extract!.job_id}); rerun it when it has ended, or cancel the run first`,
    );
    expect(await stepsOf(db, runId)).toEqual(before);
    expect((await runOf(db, runId)).status).toBe('failed');
    await runJm(['workflow', 'cancel', runId, ...dbFlags(db)]);
  });

  test('cancel cancels waiting steps and skips the rest; jm workflow status shows each step', async () => {
    const runId = await jm.startWorkflow('etl', { day: 'to-cancel' });
    const cancelled = await runJm(['workflow', 'cancel', runId, ...dbFlags(db)]);
    expect(cancelled.stdout.trim()).toBe(`Run ${runId} cancelled.`);
    const steps = await stepsOf(db, runId);
    expect(steps.extract).toMatchObject({ status: 'cancelled', job_status: 'cancelled' });
    expect(steps.load!.status).toBe('skipped');
    const status = await runJm(['workflow', 'status', runId, ...dbFlags(db)]);
    expect(status.stdout).toContain(`Run ${runId} of workflow etl: cancelled`);
    expect(status.stdout).toMatch(/extract\s+etl\.extract\s+cancelled\s+\d+\s+0\s+-\s+-\s+cancelled by an operator/);
    const json = JSON.parse((await runJm(['workflow', 'status', runId, '--output', 'json', ...dbFlags(db)])).stdout) as {
      stepList: unknown[];
    };
    expect(json.stepList).toHaveLength(4);
    const overview = JSON.parse((await runJm(['status', '--output', 'json', ...dbFlags(db)])).stdout) as {
      workflowRuns: { workflow: string; counts: Record<string, number> }[];
    };
    expect(overview.workflowRuns.find((w) => w.workflow === 'etl')!.counts.cancelled).toBeGreaterThanOrEqual(1);
    const runs = await runJm(['workflow', 'runs', '--name', 'etl', '--status', 'cancelled', ...dbFlags(db)]);
    expect(runs.stdout).toContain(`${runId}`);
    expect((await runJm(['workflow', 'cancel', '999999', ...dbFlags(db)])).stderr.trim()).toBe(
      'jm: No workflow run 999999 exists ("jm workflow runs" lists them)',
    );
  });
});

describe('locks', () => {
  test('cancelling a run while one of its steps completes never deadlocks: both finish', async () => {
    const runId = await jm.startWorkflow('etl', { day: 'lock-order' });
    const jobId = (await stepsOf(db, runId)).extract!.job_id as string;
    await sql(db, `update S.jobs set status = 'running', worker_id = 'w', attempts = 1, started_at = now() where id = $1`, [jobId]);
    const completion = await db.pool.connect();
    const canceller = await db.pool.connect();
    try {
      // The completion holds its job's row, as complete_jobs' update does before it locks the run.
      await completion.query('begin');
      await completion.query(`select 1 from "${db.schema}".jobs where id = $1 for update`, [jobId]);
      const pid = (await canceller.query('select pg_backend_pid() as pid')).rows[0].pid as number;
      const cancelling = canceller.query(`select * from "${db.schema}".cancel_workflow_run($1, 'n', 1)`, [runId]);
      await waitFor('the cancel to wait for a lock', async () => {
        const { rows } = await db.pool.query(`select wait_event_type from pg_stat_activity where pid = $1`, [pid]);
        return rows[0]?.wait_event_type === 'Lock';
      });
      // Now the completion needs the run's row: with the cancel holding it, this deadlocked.
      await completion.query(`select * from "${db.schema}".complete_jobs('w', array[$1::bigint], '[{"rows": 1, "day": "x"}]')`, [jobId]);
      await completion.query('commit');
      const cancelled = await cancelling;
      expect(cancelled.rows[0]).toMatchObject({ status: 'cancelled' });
    } finally {
      completion.release();
      canceller.release();
    }
    expect((await stepsOf(db, runId)).extract).toMatchObject({ status: 'complete', job_status: 'complete' });
  });
});
