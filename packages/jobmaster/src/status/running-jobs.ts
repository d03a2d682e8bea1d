import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import type { StatusFilters } from './status-filters.js';

/** A job running now. */
export interface RunningJob {
  id: string;
  /** `type_key.task_key` */
  task: string;
  node: string | null;
  pid: number | null;
  processUnits: number;
  startedAt: Date | null;
  /** Seconds since it started, by the database's clock. */
  elapsedSeconds: number;
  attempt: number;
  maxAttempts: number;
  /** An operator asked to cancel it; its worker aborts it at the next heartbeat. */
  cancelRequested: boolean;
}

/** Jobs running now, longest-running first. (Default limit: 100) */
export async function listRunningJobs(
  db: Queryable,
  schema: string,
  filters: Pick<StatusFilters, 'task'> = {},
  limit = 100,
): Promise<RunningJob[]> {
  const { rows } = await db.query<{
    id: string;
    type_key: string;
    task_key: string;
    node: string | null;
    pid: number | null;
    process_units: number;
    started_at: Date | null;
    elapsed: number | null;
    attempts: number;
    max_attempts: number;
    cancel_requested: boolean;
  }>(
    `select j.id, j.type_key, j.task_key, j.node, j.pid, j.process_units, j.started_at,
            extract(epoch from now() - j.started_at)::float8 as elapsed, j.attempts, j.max_attempts, j.cancel_requested
       from ${quoteSchema(schema)}.jobs j
      where j.status = 'running' and ($1::text is null or (j.type_key = $1 and j.task_key = $2::text))
      order by j.started_at nulls last, j.id
      limit $3`,
    [filters.task?.typeKey ?? null, filters.task?.taskKey ?? null, limit],
  );
  return rows.map((r) => ({
    id: String(r.id),
    task: `${r.type_key}.${r.task_key}`,
    node: r.node,
    pid: r.pid,
    processUnits: r.process_units,
    startedAt: r.started_at,
    elapsedSeconds: Math.max(0, Math.round(r.elapsed ?? 0)),
    attempt: r.attempts,
    maxAttempts: r.max_attempts,
    cancelRequested: r.cancel_requested,
  }));
}
