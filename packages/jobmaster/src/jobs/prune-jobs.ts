import type { Queryable } from '../db/queryable.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { quoteSchema } from '../db/schema-name.js';
import { InvalidArgumentsError } from '../errors.js';

/** Which finished jobs `pruneJobs` deletes. */
export interface PruneOptions {
  /** Delete jobs that finished more than this many milliseconds ago. */
  olderThanMs: number;
  /** Only this task's jobs. (Default: every task) */
  task?: { typeKey: string; taskKey: string };
}

/** What `pruneJobs` deleted. */
export interface PruneResult {
  /** Jobs that finished before this time were deleted. */
  before: Date;
  deleted: { complete: number; failed: number; cancelled: number };
  total: number;
}

/**
 * Deletes finished jobs (complete, failed, cancelled) older than `olderThanMs`, with their
 * history (the SQL `prune_jobs`). Waiting and running jobs are never touched.
 */
export async function pruneJobs(db: Queryable, schema: string, options: PruneOptions): Promise<PruneResult> {
  if (!Number.isFinite(options.olderThanMs) || options.olderThanMs < 0) {
    throw new InvalidArgumentsError(`olderThanMs must be a non-negative number of milliseconds, got ${String(options.olderThanMs)}`);
  }
  const s = quoteSchema(schema);
  try {
    const { rows } = await db.query<{ status: keyof PruneResult['deleted'] | null; deleted: string | null; before: Date }>(
      `with pruned as (
         select p.status, p.deleted from ${s}.prune_jobs(make_interval(secs => $1::float8 / 1000), $2, $3) p
       )
       select p.status, p.deleted, now() - make_interval(secs => $1::float8 / 1000) as before
         from (select 1) one left join pruned p on true`,
      [options.olderThanMs, options.task?.typeKey ?? null, options.task?.taskKey ?? null],
    );
    const deleted = { complete: 0, failed: 0, cancelled: 0 };
    for (const row of rows) if (row.status) deleted[row.status] = Number(row.deleted);
    return { before: rows[0]!.before, deleted, total: deleted.complete + deleted.failed + deleted.cancelled };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
