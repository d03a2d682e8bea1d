/**
 * Shared set-up for the status and operations tests: a deployed schema of the examples,
 * the built `jm` run as a user would, and SQL for putting jobs in any status (standing in
 * for a worker, which these tests do not need).
 */
import { beforeAll, expect } from 'vitest';
import { dbFlags, runJm, type JmResult } from '../support/run-jm.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';

export interface StatusFixture {
  db: TestDatabase;
  /** Runs `jm` against this file's schema. */
  jm(args: string[], env?: Record<string, string | undefined>): Promise<JmResult>;
  /** Runs `jm ... --json` and parses its one JSON document; fails the test on a non-zero exit. */
  jmJson<T = unknown>(args: string[]): Promise<T>;
  /** Enqueues through the CLI and returns the job id. */
  enqueue(typeKey: string, taskKey: string, args: Record<string, unknown>, priority?: number): Promise<string>;
  /** Runs SQL with `:s.` standing for this file's schema. */
  sql<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
}

/** Reserves a schema, and deploys the examples into it before the file's tests run. */
export function useStatusFixture(prefix: string): StatusFixture {
  const db = useTestDatabase(prefix);
  const jm = (args: string[], env?: Record<string, string | undefined>): Promise<JmResult> =>
    runJm([...args, ...dbFlags(db)], env ? { env } : {});
  const fixture: StatusFixture = {
    db,
    jm,
    async jmJson<T>(args: string[]): Promise<T> {
      const result = await jm([...args, '--json']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      return JSON.parse(result.stdout) as T;
    },
    async enqueue(typeKey, taskKey, args, priority = 0) {
      const result = await jm(['enqueue', typeKey, taskKey, '--json', JSON.stringify(args), '--priority', String(priority)]);
      expect(result.stderr).toBe('');
      return result.stdout.trim();
    },
    async sql(text, values = []) {
      const { rows } = await db.pool.query(text.replaceAll(':s.', `"${db.schema}".`), values);
      return rows;
    },
  };
  beforeAll(async () => {
    const deployed = await jm(['deploy', '--tasks', 'examples/*.ts']);
    expect(deployed.stderr).toBe('');
    expect(deployed.code).toBe(0);
  });
  return fixture;
}

/** Puts a job in a status as a worker would have left it. */
export async function setStatus(
  fx: StatusFixture,
  id: string,
  status: 'running' | 'complete' | 'failed' | 'cancelled',
  fields: { finishedAgo?: string; message?: string; node?: string; pid?: number; units?: number } = {},
): Promise<void> {
  const finishedAgo = fields.finishedAgo ?? '1 second';
  await fx.sql(
    `update :s.jobs set status = $2,
            attempts = case when $2 = 'failed' then max_attempts else 1 end,
            node = $4, pid = $5, started_at = now() - interval '1 minute',
            finished_at = case when $2 = 'running' then null else now() - $3::interval end,
            worker_id = case when $2 = 'running' then 'test-worker' end,
            lease_expires_at = case when $2 = 'running' then now() + interval '1 hour' end,
            process_units = coalesce($7, process_units),
            message = $6,
            error = case when $2 = 'failed' then jsonb_build_object('message', $6::text, 'stack', 'Error: ' || $6, 'attempt', max_attempts) end
      where id = $1`,
    [id, status, finishedAgo, fields.node ?? 'node-a', fields.pid ?? 4242, fields.message ?? null, fields.units ?? null],
  );
  // As a worker does: a start and a completion are read from the row (job_history); only
  // other endings write a history row.
  if (status === 'running' || status === 'complete') return;
  await fx.sql(`insert into :s.job_events (job_id, status, node, pid, message) values ($1, $2, $3, $4, $5)`, [
    id,
    status,
    fields.node ?? 'node-a',
    fields.pid ?? 4242,
    fields.message ?? null,
  ]);
}
