import { translateDatabaseError } from '../db/database-errors.js';
import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { InvalidArgumentsError } from '../errors.js';
import { carrierJson, traceEnqueue } from '../tracing/enqueue-span.js';
import type { JsonValue } from '../registry/task-definition.js';
import type { OnConflict } from '../jobs/enqueue-request.js';

/** A run to start. */
export interface WorkflowStartRequest {
  /** The deployed workflow's name. */
  name: string;
  /** The run's parameters, checked against the workflow's `params` (defaults filled in). (Default: {}) */
  params?: Record<string, JsonValue>;
  /** Your name for the run, unique among the workflow's running runs. (Default: none) */
  runKey?: string;
  /** When `runKey` is held by a running run: 'raise', 'ignore' (return it) or 'replace' (cancel it, start anew). (Default: 'raise') */
  onConflict?: OnConflict;
}

/** What a start did. */
export interface WorkflowStartResult {
  /** The run's id (new, or the running run holding the key under 'ignore'). */
  runId: string;
  outcome: 'started' | 'existing' | 'replaced';
}

/**
 * Starts a run of a deployed workflow through `start_workflow_run` (the function behind
 * `call <schema>.start_workflow(...)`): its steps that require none are put on the queue at
 * once. Run it on your own client to start the run inside your transaction. With an
 * OpenTelemetry SDK in the application the start is a `send workflow:NAME` span, whose trace
 * context the run keeps and gives every step's job (see traceEnqueue). Throws
 * UnknownWorkflowError, InvalidArgumentsError (parameters) or WorkflowRunKeyConflictError.
 */
export async function startWorkflow(db: Queryable, schema: string, request: WorkflowStartRequest): Promise<WorkflowStartResult> {
  const params = request.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new InvalidArgumentsError(`workflow ${JSON.stringify(request.name)}: parameters must be a JSON object`);
  }
  return await traceEnqueue(
    () => [workflowDestination(request.name)],
    async (traceContext) => {
      try {
        const { rows } = await db.query<{ run_id: string; outcome: WorkflowStartResult['outcome'] }>(
          `select run_id::text, outcome from ${quoteSchema(schema)}.start_workflow_run($1, $2::jsonb, $3, $4, null, $5::jsonb)`,
          [request.name, JSON.stringify(params), request.runKey ?? null, request.onConflict ?? 'raise', carrierJson(traceContext)],
        );
        const row = rows[0]!;
        return { runId: row.run_id, outcome: row.outcome };
      } catch (error) {
        throw translateDatabaseError(error, { schema });
      }
    },
    (result) => [result.runId],
  );
}

/** A workflow's name as a trace's destination: `send workflow:etl`. */
function workflowDestination(name: string): string {
  return `workflow:${name}`;
}

/**
 * Starts many runs of one deployed workflow in one round trip, all or none, through
 * `start_workflow_runs`: the batch form of {@link startWorkflow} for runs without a run key.
 * Resolves to the run ids in the order of `paramsList`. Throws UnknownWorkflowError, or
 * InvalidArgumentsError naming the first run whose parameters break a rule (`run 3 of 10: ...`).
 */
export async function startWorkflows(
  db: Queryable,
  schema: string,
  name: string,
  paramsList: Array<Record<string, JsonValue>>,
): Promise<string[]> {
  if (!Array.isArray(paramsList)) {
    throw new InvalidArgumentsError(`workflow ${JSON.stringify(name)}: startWorkflows expects an array of parameter objects`);
  }
  const bad = paramsList.findIndex((p) => typeof p !== 'object' || p === null || Array.isArray(p));
  if (bad >= 0) {
    throw new InvalidArgumentsError(
      `workflow ${JSON.stringify(name)}: run ${bad + 1} of ${paramsList.length}: parameters must be a JSON object`,
    );
  }
  if (paramsList.length === 0) return [];
  return await traceEnqueue(
    () => paramsList.map(() => workflowDestination(name)),
    async (traceContext) => {
      try {
        const { rows } = await db.query<{ run_id: string }>(
          `select run_id::text from ${quoteSchema(schema)}.start_workflow_runs($1, $2::jsonb, $3::jsonb)`,
          [name, JSON.stringify(paramsList), carrierJson(traceContext)],
        );
        return rows.map((r) => r.run_id);
      } catch (error) {
        throw translateDatabaseError(error, { schema });
      }
    },
    (ids) => ids,
  );
}
