/**
 * Helpers for the explain tests: the fixture tasks, explain through the SDK, and the check
 * that holds explain to the claim's own verdict.
 */
import { explainJob, type JobExplanation } from 'jobmaster';
import { expect } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import type { TestDatabase } from '../support/test-database.js';

export const EXPLAIN_TASKS = ['--tasks', 'test/fixtures/explain/explain_tasks.ts'];
export const ALL_FIXTURES = [
  ...EXPLAIN_TASKS,
  '--tasks',
  'test/fixtures/explain/lonely.ts',
  '--workflows',
  'test/fixtures/explain/flow.yaml',
];

/** `jm enqueue` through the CLI; returns the job id it prints. */
export async function enqueue(db: TestDatabase, task: string, args: Record<string, unknown>, extra: string[] = []): Promise<string> {
  const [typeKey, taskKey] = task.split('.');
  const result = await runJm(['enqueue', ...dbFlags(db), typeKey!, taskKey!, '--json', JSON.stringify(args), ...extra]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout.trim();
}

export function explain(db: TestDatabase, id: string): Promise<JobExplanation> {
  return explainJob(db.pool, db.schema, id);
}

/** The codes of an explanation, deciding one first. */
export function codes(e: JobExplanation): string[] {
  return e.reasons.map((r) => r.code);
}

export function reason(e: JobExplanation, code: string): JobExplanation['reasons'][number] {
  const found = e.reasons.find((r) => r.code === code);
  if (!found) throw new Error(`no ${code} reason in ${JSON.stringify(e.reasons, null, 2)}`);
  return found;
}

/**
 * Whether claim_jobs, called as each live worker calls it (its id, node, budget and tasks from
 * the workers table), takes the job (to run, fan out, send back to wait for a dependency or
 * fail): in a transaction rolled back, so nothing changes. Only the job's own task is asked
 * for when the worker runs it, so other tasks' jobs cannot take the room first.
 */
export async function claimTakes(db: TestDatabase, id: string): Promise<boolean> {
  const client = await db.pool.connect();
  try {
    const s = `"${db.schema}"`;
    const { rows: workers } = await client.query(
      `select w.worker_id, w.node, w.pid, w.process_units, w.tasks, j.type_key || '.' || j.task_key as task
         from ${s}.workers w, ${s}.jobs j where j.id = $1 and w.last_seen_at > now() - interval '60 seconds'`,
      [id],
    );
    for (const w of workers) {
      const tasks: string[] = w.tasks.includes(w.task) ? [w.task] : w.tasks;
      await client.query('begin');
      try {
        const { rows } = await client.query(`select id::text from ${s}.claim_jobs($1, $2, $3, $4, 1000, 30, $5::text[])`, [
          w.worker_id,
          w.node,
          w.pid,
          w.process_units,
          tasks,
        ]);
        if (rows.some((r) => r.id === id)) return true;
      } finally {
        await client.query('rollback');
      }
    }
    return false;
  } finally {
    client.release();
  }
}

/** Explain says "claimable" exactly when a live worker's claim would take the job. */
export async function expectClaimAgrees(db: TestDatabase, id: string): Promise<JobExplanation> {
  const e = await explain(db, id);
  expect(await claimTakes(db, id), JSON.stringify(e.reasons)).toBe(e.claimable);
  return e;
}
