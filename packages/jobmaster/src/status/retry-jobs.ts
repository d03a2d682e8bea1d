import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { parseJobId, type JobIdInput } from './job-id.js';
import type { JobStatus } from './job-status.js';
import { operatorValues, translateOperationError, type Operator } from './operator.js';

/** What retrying one job did. */
export interface RetryOutcome {
  id: string;
  /** The job's status afterwards. */
  status: JobStatus | null;
  /**
   * `retried`: failed or cancelled, now waiting again with its attempts reset.
   * `duplicate`: an identical job (same task and arguments) is already waiting or running: `twinId`.
   * `not_retryable`: it is waiting, running or complete and was left alone.
   * `not_found`: it was deleted while the retry ran.
   */
  outcome: 'retried' | 'duplicate' | 'not_retryable' | 'not_found';
  twinId: string | null;
}

/** Which failed jobs `retryFailedJobs` puts back. */
export interface RetryFailedFilter {
  /** Only this task's failed jobs. (Default: every task) */
  task?: { typeKey: string; taskKey: string };
}

async function callRetry(db: Queryable, schema: string, idsSql: string, values: unknown[], operator?: Operator): Promise<RetryOutcome[]> {
  try {
    const { rows } = await db.query<{ id: string; status: JobStatus | null; outcome: RetryOutcome['outcome']; twin_id: string | null }>(
      `select id, status, outcome, twin_id from ${quoteSchema(schema)}.retry_jobs(${idsSql}, $1, $2)`,
      [...operatorValues(operator), ...values],
    );
    return rows.map((r) => ({
      id: String(r.id),
      status: r.status,
      outcome: r.outcome,
      twinId: r.twin_id === null ? null : String(r.twin_id),
    }));
  } catch (error) {
    throw translateOperationError(error, schema);
  }
}

/**
 * Puts failed or cancelled jobs back on the queue (the SQL `retry_jobs`): waiting, due now,
 * attempts reset so their retries apply again. If any id does not exist, nothing is changed
 * and a `JobNotFoundError` names it.
 */
export async function retryJobs(db: Queryable, schema: string, ids: readonly JobIdInput[], operator?: Operator): Promise<RetryOutcome[]> {
  const jobIds = ids.map(parseJobId);
  if (jobIds.length === 0) return [];
  return await callRetry(db, schema, '$3::bigint[]', [jobIds], operator);
}

/** Puts every failed job (of one task, if given) back on the queue, as `retryJobs` does. */
export async function retryFailedJobs(
  db: Queryable,
  schema: string,
  filter: RetryFailedFilter = {},
  operator?: Operator,
): Promise<RetryOutcome[]> {
  const s = quoteSchema(schema);
  return await callRetry(
    db,
    schema,
    `array(select j.id from ${s}.jobs j where j.status = 'failed' and ($3::text is null or (j.type_key = $3 and j.task_key = $4::text)))`,
    [filter.task?.typeKey ?? null, filter.task?.taskKey ?? null],
    operator,
  );
}
