import type { FailureAlert } from '../alerts/failure-alert.js';
import type { ScheduleDefinition } from '../schedule/schedule-definition.js';

/** JSON types a task parameter can declare. */
export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One parameter of a task, as recorded in the registry and synced by `jm deploy`. */
export interface ParameterDefinition {
  /** Parameter name, as written in the function signature. */
  name: string;
  /** Zero-based position in the function signature. */
  position: number;
  /** JSON type of accepted values. */
  type: JsonType;
  /** True when the parameter has no default. */
  required: boolean;
  /** Default value; present only when `required` is false. */
  default?: JsonValue;
  /** The only values accepted (select-from), or null when any value of `type` is accepted. */
  selectFrom: JsonValue[] | null;
  /** Help text (TSDoc `@param` or the decorator). */
  help: string | null;
}

/** How one argument of a dependency job is computed from the dependent job. */
export type DependencyArgument = { kind: 'value'; value: JsonValue } | { kind: 'same'; parameter: string; ops: ArithmeticStep[] };

/** One arithmetic step applied to a `same` value, in order. */
export interface ArithmeticStep {
  op: '+' | '-' | '*' | '/';
  operand: number;
}

/** A resolved dependency of a task on another task. */
export interface DependencyDefinition {
  typeKey: string;
  taskKey: string;
  /** Freshness window in hours, clamped to [2 minutes, 30 days]. */
  hours: number;
  /** Arguments the dependency job must have, keyed by the dependency's parameter names. */
  arguments: Record<string, DependencyArgument>;
}

/** Context handed to a running task as its last argument (when declared) and via `currentJob()`. */
export interface TaskInvocationContext {
  jobId: string;
  attempt: number;
  signal: AbortSignal;
}

/** A registered task: its signature, options and how to call it. */
export interface TaskDefinition {
  typeKey: string;
  taskKey: string;
  /** Process units one job of this task takes on its node. (Default: 1) */
  processUnits: number;
  /** Parameters that accept "ALL" to fan out over their select-from values. */
  writeAll: string[];
  parameters: ParameterDefinition[];
  dependencies: DependencyDefinition[];
  /** Retries after a failed attempt. (Default: 2) */
  retries: number;
  /** Delay before the first retry, doubling each further attempt. (Default: 5) */
  retryDelaySeconds: number;
  /** First paragraph of the TSDoc comment, or the decorator's `description`. */
  description: string | null;
  /** File the task was declared in, when known. */
  sourceFile: string | null;
  /** Cron schedules declared in code (the `schedule` option), synced by `jm deploy`. (Default: []) */
  schedules: ScheduleDefinition[];
  /** The task a completed job's result is passed to (the `next` option). (Default: none) */
  next?: { typeKey: string; taskKey: string } | null;
  /** The task's failure handler (the `onFailure` option), called by the worker's alert delivery. (Default: none) */
  onFailure?: (alert: FailureAlert) => void | Promise<void>;
  /** Calls the task's function with named arguments mapped to its positional signature. */
  invoke(args: Record<string, JsonValue>, context: unknown): unknown;
}
