import { translateDatabaseError } from '../db/database-errors.js';
import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { InvalidArgumentsError } from '../errors.js';
import { toPlannedDependencies, type PlannedDependency } from '../jobs/plan-enqueue.js';
import type { JsonValue } from '../registry/task-definition.js';
import type { WorkflowStartRequest, WorkflowStartResult } from './start-workflow.js';

/** One step of a planned run. */
export interface PlannedStep {
  step: string;
  /** `type_key.task_key` */
  task: string;
  requires: string[];
  priority: number;
  /** 'started': its job goes on the queue at once; 'pending': it starts when its requirements complete; 'failed': it could not start. */
  status: 'started' | 'pending' | 'failed';
  /** A started step's job arguments (references resolved, defaults filled in); a pending step's as written. */
  arguments: JsonValue;
  processUnits: number | null;
  /** Why a step could not start. */
  message: string | null;
}

/** What `planWorkflowRun` found a start would do now. */
export interface WorkflowRunPlan {
  outcome: WorkflowStartResult['outcome'];
  workflow: string;
  /** The running run the start would return (outcome 'existing'). */
  runId: string | null;
  /** The run's parameters, defaults filled in. */
  params: Record<string, JsonValue>;
  steps: PlannedStep[];
  /** Dependencies of the started steps' tasks the claims would find unmet, recursively. */
  dependencies: PlannedDependency[];
}

interface RawRunPlan {
  outcome: WorkflowStartResult['outcome'];
  workflow: string;
  run_id: string | null;
  params: Record<string, JsonValue> | null;
  steps: Array<{
    step: string;
    task: string;
    requires: string[];
    priority: number;
    status: PlannedStep['status'];
    arguments: JsonValue;
    process_units: number | null;
    message: string | null;
  }>;
  dependencies: Parameters<typeof toPlannedDependencies>[0];
}

/**
 * A dry run of `startWorkflow`: the run and steps it would create now, with nothing written
 * (`plan_workflow_run` runs the real start in a subtransaction it rolls back). Throws what
 * `startWorkflow` would: UnknownWorkflowError, InvalidArgumentsError, WorkflowRunKeyConflictError.
 */
export async function planWorkflowRun(db: Queryable, schema: string, request: WorkflowStartRequest): Promise<WorkflowRunPlan> {
  const params = request.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new InvalidArgumentsError(`workflow ${JSON.stringify(request.name)}: parameters must be a JSON object`);
  }
  try {
    const { rows } = await db.query<{ plan: RawRunPlan }>(
      `select ${quoteSchema(schema)}.plan_workflow_run($1, $2::jsonb, $3, $4) as plan`,
      [request.name, JSON.stringify(params), request.runKey ?? null, request.onConflict ?? 'raise'],
    );
    const p = rows[0]!.plan;
    return {
      outcome: p.outcome,
      workflow: p.workflow,
      runId: p.run_id ?? null,
      params: p.params ?? {},
      steps: p.steps.map((s) => ({
        step: s.step,
        task: s.task,
        requires: s.requires,
        priority: s.priority,
        status: s.status,
        arguments: s.arguments,
        processUnits: s.process_units ?? null,
        message: s.message ?? null,
      })),
      dependencies: toPlannedDependencies(p.dependencies),
    };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
