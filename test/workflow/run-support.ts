import { expect } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import type { TestDatabase } from '../support/test-database.js';
import { sql } from '../worker/worker-harness.js';

export const ETL = ['--tasks', 'test/fixtures/workflow/tasks/etl.ts'];
export const ALL_WORKFLOWS = [...ETL, '--workflows', 'test/fixtures/workflow/files/*', '--workflows', 'test/fixtures/workflow/runs/*'];

/** `jm deploy` of the ETL tasks and every fixture workflow into the test schema. */
export async function deployWorkflows(db: TestDatabase, args: string[] = ALL_WORKFLOWS): Promise<string> {
  const result = await runJm(['deploy', ...dbFlags(db), ...args]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

/** A run's steps by id: status, job id, result, message, and the step job's arguments. */
export async function stepsOf(db: TestDatabase, runId: string): Promise<Record<string, Record<string, any>>> {
  const rows = await sql(
    db,
    `select s.step_id, s.status, s.job_id::text, s.result, s.message, s.past_job_ids::text[], j.arguments, j.created_at, j.finished_at, j.status as job_status
       from S.workflow_run_steps s left join S.jobs j on j.id = s.job_id where s.run_id = $1 order by s.position`,
    [runId],
  );
  return Object.fromEntries(rows.map((r) => [r.step_id, r]));
}

export async function runOf(db: TestDatabase, runId: string): Promise<Record<string, any>> {
  const [row] = await sql(db, `select * from S.workflow_runs where id = $1`, [runId]);
  return row!;
}
