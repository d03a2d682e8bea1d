import type { Queryable } from '../db/queryable.js';
import { queryTools } from './query-builder.js';
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
  const { task } = filters;
  const { inSchema, sql, run } = await queryTools();
  const rows = await run(
    db,
    inSchema(schema)
      .selectFrom('jobs as j')
      .select([
        'j.id',
        'j.type_key',
        'j.task_key',
        'j.node',
        'j.pid',
        'j.process_units',
        'j.started_at',
        sql<number | null>`extract(epoch from now() - j.started_at)::float8`.as('elapsed'),
        'j.attempts',
        'j.max_attempts',
        'j.cancel_requested',
      ])
      .where('j.status', '=', sql.lit('running'))
      .$if(task !== undefined, (qb) => qb.where('j.type_key', '=', task!.typeKey).where('j.task_key', '=', task!.taskKey))
      .orderBy(sql`j.started_at nulls last`)
      .orderBy('j.id')
      .limit(limit),
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
