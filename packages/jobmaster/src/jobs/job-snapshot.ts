import type { Queryable } from '../db/queryable.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { quoteSchema } from '../db/schema-name.js';
import { JobMasterError } from '../errors.js';
import { filterCondition, type JobFilter } from './job-filter.js';

/** More jobs match a bulk action's filter than one action may touch. */
export class TooManyJobsError extends JobMasterError {
  override readonly code = 'JM_TOO_MANY_JOBS';
  constructor(readonly cap: number) {
    super(`More than ${cap} jobs match: narrow the filter (task, status, time range or args) and act again`);
  }
}

/** The most jobs one bulk action may touch. (Default: 1,000) */
export const DEFAULT_BULK_CAP = 1_000;

/**
 * The ids of the jobs matching a filter now, oldest first: the fixed snapshot a bulk cancel
 * or retry acts on, so jobs arriving afterwards are never touched. More than `cap` matches
 * is a `TooManyJobsError` and nothing is returned.
 */
export async function snapshotJobIds(db: Queryable, schema: string, filter: JobFilter, cap = DEFAULT_BULK_CAP): Promise<string[]> {
  const values: unknown[] = [];
  const where = filterCondition(filter, values);
  values.push(cap + 1);
  try {
    const { rows } = await db.query<{ id: string }>(
      `select j.id from ${quoteSchema(schema)}.jobs j where ${where} order by j.id desc limit $${values.length}`,
      values,
    );
    if (rows.length > cap) throw new TooManyJobsError(cap);
    return rows.map((r) => String(r.id)).reverse();
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
