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

type RetryRow = { id: string; status: JobStatus | null; outcome: RetryOutcome['outcome']; twin_id: string | null };

/** The SQL `retry_jobs` rows as the SDK returns them. */
export const toRetryOutcome = (r: RetryRow): RetryOutcome => ({
  id: String(r.id),
  status: r.status,
  outcome: r.outcome,
  twinId: r.twin_id === null ? null : String(r.twin_id),
});

/**
 * Puts failed or cancelled jobs back on the queue (the SQL `retry_jobs`): waiting, due now,
 * attempts reset so their retries apply again. If any id does not exist, nothing is changed
 * and a `JobNotFoundError` names it.
 */
export async function retryJobs(db: Queryable, schema: string, ids: readonly JobIdInput[], operator?: Operator): Promise<RetryOutcome[]> {
  const jobIds = ids.map(parseJobId);
  if (jobIds.length === 0) return [];
  try {
    const { rows } = await db.query<RetryRow>(
      `select id, status, outcome, twin_id from ${quoteSchema(schema)}.retry_jobs($1::bigint[], $2, $3)`,
      [jobIds, ...operatorValues(operator)],
    );
    return rows.map(toRetryOutcome);
  } catch (error) {
    throw translateOperationError(error, schema);
  }
}
