import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import type { JsonValue } from '../registry/task-definition.js';
import { parseJobId, type JobIdInput } from './job-id.js';
import type { JobStatus } from './job-status.js';
import { translateOperationError } from './operator.js';

/**
 * Why a job is where it is, as a stable code (README, "jm explain", lists them):
 * - waiting and held back: `task_not_deployed`, `run_at_future`, `retry_backoff`,
 *   `waiting_for_dependency`, `no_live_worker`, `task_not_loaded`, `too_large`, `budget_full`;
 * - waiting and free to go: `claimable`, then what the claim will do first: `fans_out`,
 *   `dependency_unmet`, `prepare_fails` (that work fails, and with it the job; `not_checked` when
 *   a read-only transaction stopped the check);
 * - running: `leased`, `lease_expired`;
 * - finished: `completed`, `failed`, `cancelled`, and `identical_twin` / `keyed_twin` when an
 *   active job would meet a retry of it;
 * - any job of a workflow run: `workflow_step`.
 */
export type ExplainCode =
  | 'task_not_deployed'
  | 'run_at_future'
  | 'retry_backoff'
  | 'waiting_for_dependency'
  | 'no_live_worker'
  | 'task_not_loaded'
  | 'too_large'
  | 'budget_full'
  | 'claimable'
  | 'fans_out'
  | 'dependency_unmet'
  | 'prepare_fails'
  | 'not_checked'
  | 'leased'
  | 'lease_expired'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'identical_twin'
  | 'keyed_twin'
  | 'workflow_step';

/** One reason, in plain words and with the figures behind them. */
export interface ExplainReason {
  code: ExplainCode;
  message: string;
  facts: Record<string, JsonValue>;
}

/** What `explainJob` found: the deciding reason first. */
export interface JobExplanation {
  id: string;
  /** `type_key.task_key` */
  task: string;
  status: JobStatus;
  /** True when a worker's next claim can take the job now (a `claimable` reason is present). */
  claimable: boolean;
  reasons: ExplainReason[];
}

/**
 * Says why a job is not running now, or what happened to it, through the SQL function
 * `explain_job` (which applies claim_jobs' rules and runs the claim's own dependency and
 * fan-out code in a subtransaction it rolls back: nothing is written). Throws
 * `InvalidJobIdError` for an id that is not a positive integer and `JobNotFoundError` for an
 * unknown one.
 */
export async function explainJob(db: Queryable, schema: string, id: JobIdInput): Promise<JobExplanation> {
  const jobId = parseJobId(id);
  const s = quoteSchema(schema);
  try {
    const { rows } = await db.query<{
      code: ExplainCode;
      message: string;
      facts: Record<string, JsonValue>;
      task: string;
      status: JobStatus;
    }>(
      // explain_job in FROM alone: it raises for an unknown id (a join could skip calling it).
      `select e.code, e.message, e.facts,
              (select j.type_key || '.' || j.task_key from ${s}.jobs j where j.id = $1::bigint) as task,
              (select j.status from ${s}.jobs j where j.id = $1::bigint) as status
         from ${s}.explain_job($1::bigint) e`,
      [jobId],
    );
    const first = rows[0]!;
    return {
      id: jobId,
      task: first.task,
      status: first.status,
      claimable: rows.some((r) => r.code === 'claimable'),
      reasons: rows.map((r) => ({ code: r.code, message: r.message, facts: r.facts })),
    };
  } catch (error) {
    throw translateOperationError(error, schema);
  }
}
