import type { CatchUp } from '../schedule/schedule-definition.js';
import type { JsonType, JsonValue } from '../registry/task-definition.js';

/** A parameter a workflow run takes (`params` in the file), referenced by steps as `${{ params.NAME }}`. */
export interface WorkflowParam {
  name: string;
  type: JsonType;
  /** True when a run must give it (no default). */
  required: boolean;
  /** Default value; present only when `required` is false. */
  default?: JsonValue;
}

/** One step of a workflow: a job of `task`, started once every step in `requires` is complete. */
export interface WorkflowStep {
  /** Unique within the workflow; what `requires` and `${{ steps.ID.result }}` name. */
  id: string;
  /** The task as written: `type.task`, or a task key alone when it names one task. */
  task: string;
  /** Step ids that must complete first. (Default: []) */
  requires: string[];
  /** Arguments of the step's job; string values may hold `${{ params.x }}` / `${{ steps.a.result.path }}`. (Default: {}) */
  args: Record<string, JsonValue>;
  /** Priority of the step's job. (Default: 0) */
  priority: number;
}

/** A workflow's cron schedule: each tick starts one run with the parameters' defaults. */
export interface WorkflowSchedule {
  cron: string;
  /** IANA zone, or null for UTC. */
  timeZone: string | null;
  catchUp: CatchUp;
}

/** A workflow in its one internal shape, whatever shape it was written in. */
export interface WorkflowDefinition {
  name: string;
  description: string | null;
  schedule: WorkflowSchedule | null;
  params: WorkflowParam[];
  steps: WorkflowStep[];
  /** The file it was read from, or null when declared in code. */
  sourceFile: string | null;
}

/** Where a workflow name must fit: the same rule as schedule names. */
export const WORKFLOW_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:#@/-]{0,199}$/;
/** Step ids: letters, digits, `_` and `-`, so references (`steps.ID.result`) stay readable. */
export const STEP_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;
/** Most steps one workflow may have: a 1,000-wide fan-out with its root and fan-in fits. (Default: 2,000) */
export const MAX_WORKFLOW_STEPS = 2000;
