import { translateDatabaseError } from '../db/database-errors.js';
import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { InvalidArgumentsError } from '../errors.js';
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
 * once. Run it on your own client to start the run inside your transaction. Throws
 * UnknownWorkflowError, InvalidArgumentsError (parameters) or WorkflowRunKeyConflictError.
 */
export async function startWorkflow(db: Queryable, schema: string, request: WorkflowStartRequest): Promise<WorkflowStartResult> {
  const params = request.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new InvalidArgumentsError(`workflow ${JSON.stringify(request.name)}: parameters must be a JSON object`);
  }
  try {
    const { rows } = await db.query<{ run_id: string; outcome: WorkflowStartResult['outcome'] }>(
      `select run_id::text, outcome from ${quoteSchema(schema)}.start_workflow_run($1, $2::jsonb, $3, $4)`,
      [request.name, JSON.stringify(params), request.runKey ?? null, request.onConflict ?? 'raise'],
    );
    const row = rows[0]!;
    return { runId: row.run_id, outcome: row.outcome };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
