import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import type { JobStatus } from './job-status.js';

/** What a workflow run's page shows of one step's job. */
export interface StepJobState {
  status: JobStatus;
  attempts: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Seconds from start to end (or to now while it runs). */
  tookSeconds: number | null;
  message: string | null;
}

/**
 * The state of the jobs behind workflow steps, by job id (primary-key lookups). A job pruned
 * since is simply absent. Errors go to the caller (which translates them for its door).
 */
export async function readStepJobStates(db: Queryable, schema: string, jobIds: string[]): Promise<Map<string, StepJobState>> {
  if (jobIds.length === 0) return new Map();
  const { rows } = await db.query<{
    id: string;
    status: JobStatus;
    attempts: number;
    started_at: Date | null;
    finished_at: Date | null;
    took: number | null;
    message: string | null;
  }>(
    `select j.id::text, j.status, j.attempts, j.started_at, j.finished_at,
            extract(epoch from coalesce(j.finished_at, case when j.status = 'running' then now() end) - j.started_at)::float8 as took,
            j.message
       from ${quoteSchema(schema)}.jobs j where j.id = any ($1::bigint[])`,
    [jobIds],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        status: r.status,
        attempts: r.attempts,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        tookSeconds: r.took,
        message: r.message,
      },
    ]),
  );
}
