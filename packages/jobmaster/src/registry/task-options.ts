import type { FailureAlert } from '../alerts/failure-alert.js';
import type { ScheduleDeclaration } from '../schedule/schedule-definition.js';
import type { DependencyDeclaration, TaskReference } from './dependency.js';
import type { JsonType, JsonValue } from './task-definition.js';

/**
 * A parameter's declared type: a JSON type, or `'context'` for the parameter that
 * receives the {@link JobContext} (only needed where runtime metadata cannot tell,
 * e.g. in `defineTask` or when typed with an interface).
 */
export type ParamType = JsonType | 'context';

/** What a task declares about one parameter, beyond what TypeScript's runtime metadata says. */
export interface ParamOptions {
  /**
   * JSON type of the parameter. Required when metadata cannot say: `defineTask`,
   * `any`, unions of different types, interfaces, `Record`, classes. Use `'integer'` to
   * narrow a `number`. (Default: from `design:paramtypes`)
   */
  type?: ParamType;
  /** The only values accepted (select-from), each of the parameter's type. (Default: any value of the type) */
  selectFrom?: readonly JsonValue[];
  /** Help text shown by `jm tasks`. (Default: the TSDoc `@param` text) */
  help?: string;
  /**
   * Default value, for parameters whose default in code is not a literal (a constant,
   * an expression). (Default: the literal default written in the signature)
   */
  default?: JsonValue;
}

/** Options of {@link task} and {@link defineTask}. */
export interface TaskOptions {
  /**
   * First half of the task's identity; letters, digits, `_` and `-`.
   * (Default: the basename of the module declaring the task, `things1` for `things1.ts`)
   */
  typeKey?: string;
  /** Second half of the task's identity; letters, digits and `_`. (Default: the method or function name) */
  taskKey?: string;
  /** Process units one job of this task takes on its node; a non-negative integer. (Default: 1) */
  processUnits?: number;
  /** Parameters that accept `"ALL"`, fanning out over their select-from values. (Default: []) */
  writeAll?: readonly string[];
  /** Tasks that must have completed recently before this one runs. See {@link Dependency}. (Default: none) */
  dependencies?: DependencyDeclaration | readonly DependencyDeclaration[];
  /** Retries after a failed attempt; a non-negative integer. (Default: 2) */
  retries?: number;
  /** Delay before the first retry, doubling for each further one. (Default: 5) */
  retryDelaySeconds?: number;
  /** What the task does, shown by `jm tasks`. (Default: first paragraph of the TSDoc comment) */
  description?: string;
  /** Per-parameter declarations, keyed by parameter name. (Default: {}) */
  params?: Readonly<Record<string, ParamOptions>>;
  /**
   * Cron schedules that put a job of this task on the queue at each tick, stored by
   * `jm deploy`: a cron expression (`'*\/10 * * * * *'`), or `{ cron, args?, timeZone?, name?,
   * catchUp? }`, or a list of these. 5 fields (minute first), 6 (seconds first) or 7 (seconds
   * first, year last). Checked at registration; args are validated at deploy. (Default: none)
   */
  schedule?: ScheduleDeclaration;
  /**
   * The task that runs next (NUTS `next`): when a job of this task completes, a job of the next
   * task is enqueued with this job's result as its arguments, in the completion's transaction.
   * The result must be an object of the next task's arguments (or nothing, for none); one the
   * next task refuses fails this job, naming the next task and the reason. Named as
   * dependencies are: a task function, a thunk `() => Other.run`, or `'typeKey.taskKey'` /
   * `'taskKey'`. A chain that comes back to a task it passed is refused. (Default: none)
   */
  next?: TaskReference;
  /**
   * Called with the failure alert when a job of this task fails for good (every failed
   * attempt too, with `alerts: { on: 'attempt' }` / `jm run --alert-on attempt`). The alert is
   * recorded with the failure and delivered by a worker that runs this task, once per alert
   * (at least once if a worker dies mid-delivery), including for jobs whose worker was killed.
   * A throw or rejection is a failed delivery, retried with backoff. (Default: none)
   */
  onFailure?: (alert: FailureAlert) => void | Promise<void>;
}

/** Option defaults, as documented on {@link TaskOptions}. */
export const TASK_DEFAULTS = { processUnits: 1, retries: 2, retryDelaySeconds: 5 } as const;

/** Pattern of task keys and parameter names. */
export const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Pattern of type keys (task keys plus `-`). */
export const TYPE_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
