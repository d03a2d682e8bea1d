import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { parseJobId, type JobIdInput } from './job-id.js';
import type { JobStatus } from './job-status.js';
import { operatorValues, translateOperationError, type Operator } from './operator.js';

/** What cancelling one job did. */
export interface CancelOutcome {
  id: string;
  /** The job's status afterwards. */
  status: JobStatus;
  /**
   * `cancelled`: it was waiting and is now cancelled (jobs waiting on it failed).
   * `cancel_requested`: it is running; its worker aborts it at the next heartbeat and records it as cancelled.
   * `finished`: it had already finished (complete, failed or cancelled) and was left alone.
   */
  outcome: 'cancelled' | 'cancel_requested' | 'finished';
}

/**
 * Cancels jobs by id (the SQL `cancel_jobs`), in id order. If any id does not exist, nothing
 * is changed and a `JobNotFoundError` names it.
 */
export async function cancelJobs(db: Queryable, schema: string, ids: readonly JobIdInput[], operator?: Operator): Promise<CancelOutcome[]> {
  const jobIds = ids.map(parseJobId);
  if (jobIds.length === 0) return [];
  try {
    const { rows } = await db.query<{ id: string; status: JobStatus; outcome: CancelOutcome['outcome'] }>(
      `select id, status, outcome from ${quoteSchema(schema)}.cancel_jobs($1::bigint[], $2, $3)`,
      [jobIds, ...operatorValues(operator)],
    );
    return rows.map((r) => ({ id: String(r.id), status: r.status, outcome: r.outcome }));
  } catch (error) {
    throw translateOperationError(error, schema);
  }
}
