import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { traceEnqueue } from '../tracing/enqueue-span.js';
import { checkRequest, toResult, type CheckedRequest, type EnqueueResult, type JobRequest, type ResultRow } from './enqueue-request.js';

/**
 * Puts many jobs on the queue in one round trip; all or none are inserted (a single invalid
 * job, or a key conflict under `'raise'`, rejects the batch). Results are in the order of
 * `jobs`; a job sees the ones before it in the batch, so two with one key follow the second's
 * `onConflict`. Traced as one `send` span (see traceEnqueue), whose context every job keeps.
 */
export async function enqueueJobs(db: Queryable, schema: string, jobs: JobRequest[]): Promise<EnqueueResult[]> {
  if (jobs.length === 0) return [];
  // The payload is written as text directly: each job's arguments are serialised once (by
  // checkRequest), and fields at their defaults are left out.
  const checked = jobs.map((job) => ({ job, ...checkRequest(job) }));
  return await traceEnqueue(
    () => jobs.map((job) => `${job.typeKey}.${job.taskKey}`),
    (traceContext) => enqueueChecked(db, schema, checked, traceContext === null ? '' : `,"trace_context":${JSON.stringify(traceContext)}`),
    (results) => results.map((r) => r.id),
  );
}

async function enqueueChecked(
  db: Queryable,
  schema: string,
  jobs: Array<CheckedRequest & { job: JobRequest }>,
  traceField: string,
): Promise<EnqueueResult[]> {
  const parts: string[] = [];
  for (const { job, args, priority, runAt, jobKey, onConflict } of jobs) {
    let part = `{"type_key":${JSON.stringify(job.typeKey)},"task_key":${JSON.stringify(job.taskKey)},"arguments":${args}`;
    if (priority !== 0) part += `,"priority":${priority}`;
    if (runAt !== null) part += `,"run_at":"${runAt}"`;
    if (jobKey !== null) part += `,"job_key":${JSON.stringify(jobKey)}`;
    if (onConflict !== 'raise') part += `,"on_conflict":"${onConflict}"`;
    parts.push(`${part}${traceField}}`);
  }
  try {
    const { rows } = await db.query<ResultRow>(`select job_id, inserted, outcome from ${quoteSchema(schema)}.enqueue_many($1::jsonb)`, [
      `[${parts.join(',')}]`,
    ]);
    return rows.map(toResult);
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
