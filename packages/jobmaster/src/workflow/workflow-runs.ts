import { translateDatabaseError } from '../db/database-errors.js';
import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { InvalidArgumentsError, WorkflowRunNotFoundError } from '../errors.js';
import type { JsonValue } from '../registry/task-definition.js';
import { operatorValues, type Operator } from '../jobs/operator.js';
import { readStepJobStates } from '../jobs/step-job-states.js';

/** A run's status. */
export type WorkflowRunStatus = 'running' | 'complete' | 'failed' | 'cancelled';
/** The statuses a run can have, for validating input. */
export const WORKFLOW_RUN_STATUSES: readonly WorkflowRunStatus[] = ['running', 'complete', 'failed', 'cancelled'];

/** One run, as listed. */
export interface WorkflowRunSummary {
  id: string;
  workflow: string;
  status: WorkflowRunStatus;
  runKey: string | null;
  params: Record<string, JsonValue>;
  message: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  /** Steps by status, e.g. {"complete": 2, "started": 1, "pending": 1}. */
  steps: Record<string, number>;
}

/** One step of a run: its status, and its job's (when it has one). */
export interface WorkflowRunStep {
  id: string;
  task: string;
  requires: string[];
  /** 'pending', 'started', 'complete', 'failed', 'cancelled' or 'skipped'. */
  status: string;
  jobId: string | null;
  /** The job's own status (waiting, running, ...), when it has a job. */
  jobStatus: string | null;
  attempts: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Seconds from the job's start to its end (or to now while it runs). */
  tookSeconds: number | null;
  result: JsonValue | null;
  message: string | null;
  /** Jobs of earlier attempts at the step (before a retry), oldest first. */
  pastJobIds: string[];
}

/** A run with its steps, for `jm workflow status`. */
export interface WorkflowRunDetail extends WorkflowRunSummary {
  stepList: WorkflowRunStep[];
}

/** Checks a run id (a positive integer) and returns it as a decimal string. */
export function parseRunId(id: string | number | bigint): string {
  const text = String(id).trim();
  if (!/^\d{1,18}$/.test(text) || BigInt(text) < 1n) {
    throw new InvalidArgumentsError(`A workflow run id must be a positive integer such as 42, got ${JSON.stringify(text.slice(0, 40))}`);
  }
  return BigInt(text).toString();
}

const SUMMARY_COLUMNS = `r.id::text, r.workflow_name, r.status, r.run_key, r.params, r.message, r.created_at, r.finished_at,
  (select coalesce(jsonb_object_agg(c.status, c.n), '{}') from (select s.status, count(*)::int as n
     from :s.workflow_run_steps s where s.run_id = r.id group by s.status) c) as steps`;

interface SummaryRow {
  id: string;
  workflow_name: string;
  status: WorkflowRunStatus;
  run_key: string | null;
  params: Record<string, JsonValue>;
  message: string | null;
  created_at: Date;
  finished_at: Date | null;
  steps: Record<string, number>;
}

function toSummary(r: SummaryRow): WorkflowRunSummary {
  return {
    id: r.id,
    workflow: r.workflow_name,
    status: r.status,
    runKey: r.run_key,
    params: r.params,
    message: r.message,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    steps: r.steps,
  };
}

/**
 * Runs, newest first, optionally of one workflow and in one status, and only those with an id
 * below `before` (keyset paging: pass the last id of a page to get the next). (Default limit: 50)
 */
export async function listWorkflowRuns(
  db: Queryable,
  schema: string,
  filters: { workflow?: string; status?: WorkflowRunStatus; before?: string; limit?: number } = {},
): Promise<WorkflowRunSummary[]> {
  const s = quoteSchema(schema);
  try {
    const { rows } = await db.query<SummaryRow>(
      `select ${SUMMARY_COLUMNS.replaceAll(':s', s)} from ${s}.workflow_runs r
        where ($1::text is null or r.workflow_name = $1) and ($2::text is null or r.status = $2)
          and ($4::bigint is null or r.id < $4::bigint)
        order by r.id desc limit $3`,
      [
        filters.workflow ?? null,
        filters.status ?? null,
        filters.limit ?? 50,
        filters.before === undefined ? null : parseRunId(filters.before),
      ],
    );
    return rows.map(toSummary);
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}

/** One run with its steps in declaration order. Throws WorkflowRunNotFoundError. */
export async function getWorkflowRun(db: Queryable, schema: string, runId: string | number | bigint): Promise<WorkflowRunDetail> {
  const id = parseRunId(runId);
  const s = quoteSchema(schema);
  try {
    const { rows } = await db.query<SummaryRow>(`select ${SUMMARY_COLUMNS.replaceAll(':s', s)} from ${s}.workflow_runs r where r.id = $1`, [
      id,
    ]);
    if (!rows[0]) throw new WorkflowRunNotFoundError(id);
    const steps = await db.query<{
      step_id: string;
      task: string;
      requires: string[];
      status: string;
      job_id: string | null;
      result: JsonValue | null;
      message: string | null;
      past_job_ids: string[];
    }>(
      `select s.step_id, s.type_key || '.' || s.task_key as task, s.requires, s.status, s.job_id::text,
              s.result, s.message, s.past_job_ids::text[] as past_job_ids
         from ${s}.workflow_run_steps s where s.run_id = $1 order by s.position`,
      [id],
    );
    const jobs = await readStepJobStates(
      db,
      schema,
      steps.rows.flatMap((r) => (r.job_id === null ? [] : [r.job_id])),
    );
    return {
      ...toSummary(rows[0]),
      stepList: steps.rows.map((r) => {
        const job = r.job_id === null ? undefined : jobs.get(r.job_id);
        return {
          id: r.step_id,
          task: r.task,
          requires: r.requires,
          status: r.status,
          jobId: r.job_id,
          jobStatus: job?.status ?? null,
          attempts: job?.attempts ?? null,
          startedAt: job?.startedAt ?? null,
          finishedAt: job?.finishedAt ?? null,
          tookSeconds: job?.tookSeconds ?? null,
          result: r.result,
          message: r.message ?? job?.message ?? null,
          pastJobIds: r.past_job_ids,
        };
      }),
    };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}

/**
 * Cancels a running run: steps not started are skipped, waiting step jobs cancelled, running
 * ones signalled (they end as cancelled when their worker stops them). Returns the run's
 * status afterwards and whether this call cancelled it. Throws WorkflowRunNotFoundError.
 */
export async function cancelWorkflowRun(
  db: Queryable,
  schema: string,
  runId: string | number | bigint,
  operator: Operator = {},
): Promise<{ runId: string; status: WorkflowRunStatus; cancelled: boolean }> {
  const id = parseRunId(runId);
  try {
    const { rows } = await db.query<{ status: WorkflowRunStatus; cancelled: boolean }>(
      `select status, cancelled from ${quoteSchema(schema)}.cancel_workflow_run($1, $2, $3)`,
      [id, ...operatorValues(operator)],
    );
    return { runId: id, status: rows[0]!.status, cancelled: rows[0]!.cancelled };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}

/**
 * Runs a failed or cancelled run again: failed, cancelled and skipped steps run again, reusing
 * completed steps' results; with `fromStep`, that step and everything downstream run again too.
 * Returns the steps set to run again. Throws WorkflowRunNotFoundError, InvalidArgumentsError.
 */
export async function retryWorkflowRun(
  db: Queryable,
  schema: string,
  runId: string | number | bigint,
  options: { fromStep?: string } = {},
): Promise<{ runId: string; steps: string[] }> {
  const id = parseRunId(runId);
  try {
    const { rows } = await db.query<{ step: string }>(`select s as step from ${quoteSchema(schema)}.retry_workflow_run($1, $2) s`, [
      id,
      options.fromStep ?? null,
    ]);
    return { runId: id, steps: rows.map((r) => r.step) };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}

/** One workflow's runs by status. */
export interface WorkflowRunCounts {
  workflow: string;
  counts: Record<string, number>;
}

/** Runs by workflow and status, for `jm status`. */
export async function countWorkflowRuns(db: Queryable, schema: string): Promise<WorkflowRunCounts[]> {
  const s = quoteSchema(schema);
  const { rows } = await db.query<{ workflow: string; counts: Record<string, number> }>(
    `select c.workflow_name as workflow, jsonb_object_agg(c.status, c.n) as counts
       from (select r.workflow_name, r.status, count(*)::int as n from ${s}.workflow_runs r group by 1, 2) c
      group by c.workflow_name order by c.workflow_name`,
  );
  return rows;
}
