/**
 * Every failure a user can meet is a small class carrying its facts as fields.
 * The CLI prints `message` alone (no stack) for any `JobMasterError`.
 */
export class JobMasterError extends Error {
  /** A stable machine-readable code, e.g. `JM_UNKNOWN_TASK`. */
  readonly code: string = 'JM_ERROR';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    Object.defineProperty(this, ERROR_BRAND, { value: true });
  }
}

// Task modules may load a second copy of this package (a loader's own module cache, a
// nested install); the brand lets `isJobMasterError` recognise errors from any copy.
const ERROR_BRAND = Symbol.for('jobmaster.error');

/** True for a JobMasterError from any copy of the package: a user error with a one-line message. */
export function isJobMasterError(error: unknown): error is JobMasterError {
  return error instanceof JobMasterError || (typeof error === 'object' && error !== null && ERROR_BRAND in error);
}

/** A task declaration that cannot be registered as written. */
export class TaskRegistrationError extends JobMasterError {
  override readonly code = 'JM_TASK_REGISTRATION';
  constructor(
    readonly task: string,
    readonly problem: string,
  ) {
    super(`Task ${task}: ${problem}`);
  }
}

/** The registry as a whole is inconsistent (unknown dependency, cycle, ...). */
export class RegistryError extends JobMasterError {
  override readonly code = 'JM_REGISTRY';
}

/** Task modules could not be found or loaded. */
export class TaskLoadError extends JobMasterError {
  override readonly code = 'JM_TASK_LOAD';
}

/** Configuration given by flags, environment or config file is invalid. */
export class ConfigError extends JobMasterError {
  override readonly code = 'JM_CONFIG';
}

/** No task with these keys is registered in the database. */
export class UnknownTaskError extends JobMasterError {
  override readonly code = 'JM_UNKNOWN_TASK';
  constructor(
    readonly typeKey: string,
    readonly taskKey: string,
  ) {
    super(`No task ${typeKey}.${taskKey} is registered in the database ("jm deploy" syncs the tasks in code; "jm tasks" lists those)`);
  }
}

/** What is known about rejected job arguments, for {@link InvalidArgumentsError}. */
export interface InvalidArgumentsFacts {
  /** The task, as `typeKey.taskKey`. (Default: unknown) */
  task?: string;
  /** The task parameter at fault, when one parameter is. (Default: none) */
  parameter?: string;
  /** The rejected value: a parameter's value, an enqueue option, or the whole arguments. (Default: unknown) */
  value?: unknown;
  /** The error that caused this one. (Default: none) */
  cause?: unknown;
}

/**
 * Job arguments or enqueue options were rejected by the validation rules. `task`,
 * `parameter` and `value` say what was rejected where the code that noticed knew it
 * (rejections reported by the database carry only the message).
 */
export class InvalidArgumentsError extends JobMasterError {
  override readonly code = 'JM_INVALID_ARGUMENTS';
  /** The task, as `typeKey.taskKey`, when known. */
  readonly task?: string;
  /** The task parameter at fault, when one parameter is. */
  readonly parameter?: string;
  /** The rejected value, when known. */
  readonly value?: unknown;
  constructor(message: string, facts: InvalidArgumentsFacts = {}) {
    super(message, facts.cause === undefined ? undefined : { cause: facts.cause });
    if (facts.task !== undefined) this.task = facts.task;
    if (facts.parameter !== undefined) this.parameter = facts.parameter;
    if ('value' in facts) this.value = facts.value;
  }
}

/** The database could not be reached or refused the connection. */
export class DatabaseUnavailableError extends JobMasterError {
  override readonly code = 'JM_DATABASE_UNAVAILABLE';
}

/** The schema is missing or older than this version of JobMaster expects. */
export class SchemaNotDeployedError extends JobMasterError {
  override readonly code = 'JM_SCHEMA_NOT_DEPLOYED';
  constructor(readonly schema: string) {
    super(`Schema "${schema}" is not deployed: run "jm deploy" first`);
  }
}

/** A job id that does not exist. */
export class JobNotFoundError extends JobMasterError {
  override readonly code = 'JM_JOB_NOT_FOUND';
  constructor(readonly jobId: string) {
    super(`No job with id ${jobId}`);
  }
}

/** A job id that is not a positive integer. */
export class InvalidJobIdError extends JobMasterError {
  override readonly code = 'JM_INVALID_JOB_ID';
  constructor(readonly given: string) {
    super(`Job id must be a positive integer such as 42, got ${JSON.stringify(given.slice(0, 40))}`);
  }
}

/**
 * A worker draining the queue (`jm run --until-empty`) had jobs that failed for good; carries
 * the run's summary so the caller can still print it. The CLI exits 1 on it.
 */
export class JobsFailedError extends JobMasterError {
  override readonly code = 'JM_JOBS_FAILED';
  constructor(
    readonly failed: number,
    readonly summary: unknown,
  ) {
    super(`${failed} job${failed === 1 ? '' : 's'} failed for good (see "jm status" for their messages)`);
  }
}

/** An enqueue with a job key under `onConflict: 'raise'` found the key held by a waiting or running job. */
export class JobKeyConflictError extends JobMasterError {
  override readonly code = 'JM_JOB_KEY_CONFLICT';
  constructor(
    readonly task: string,
    readonly jobKey: string,
    /** Id of the job holding the key. */
    readonly existingJobId: string,
    /** Its status: `waiting` or `running`. */
    readonly existingStatus: string,
  ) {
    super(
      `${task}: a job with key ${JSON.stringify(jobKey)} is already ${existingStatus} (job ${existingJobId}); ` +
        'enqueue with onConflict "ignore" (or --on-conflict ignore) to reuse it, or "replace" to update it',
    );
  }
}

/** A schedule (cron expression, time zone, catch-up policy or name) that cannot be used as written. */
export class InvalidScheduleError extends JobMasterError {
  override readonly code = 'JM_INVALID_SCHEDULE';
}

/** A schedule name already in use. */
export class ScheduleExistsError extends JobMasterError {
  override readonly code = 'JM_SCHEDULE_EXISTS';
  constructor(
    readonly scheduleName: string,
    /** `code` (declared on a task and synced by deploy) or `runtime` (added by `jm schedule add`). */
    readonly source: string,
  ) {
    super(
      source === 'code'
        ? `Schedule ${JSON.stringify(scheduleName)} is declared in code: choose another name`
        : `Schedule ${JSON.stringify(scheduleName)} already exists: remove it first (jm schedule remove ${scheduleName}) or choose another name`,
    );
  }
}

/** No schedule with this name. */
export class ScheduleNotFoundError extends JobMasterError {
  override readonly code = 'JM_SCHEDULE_NOT_FOUND';
  constructor(readonly scheduleName: string) {
    super(`No schedule named ${JSON.stringify(scheduleName)} (run "jm schedule list" to see them)`);
  }
}

/** A change only the code may make to a schedule declared in code (removing it). */
export class CodeScheduleError extends JobMasterError {
  override readonly code = 'JM_CODE_SCHEDULE';
  constructor(readonly scheduleName: string) {
    super(
      `Schedule ${JSON.stringify(scheduleName)} is declared in code: remove it from its task's schedule option and run "jm deploy" (or pause it)`,
    );
  }
}

/** The PostgreSQL server is older than the oldest major JobMaster supports; `deploy` refuses it before writing anything. */
export class UnsupportedPostgresVersionError extends JobMasterError {
  override readonly code = 'JM_UNSUPPORTED_POSTGRES_VERSION';
  constructor(
    /** The server's version as PostgreSQL numbers it, e.g. `13.23`. */
    readonly serverVersion: string,
    /** The oldest supported major, e.g. `14`. */
    readonly minimumVersion: number,
  ) {
    super(`PostgreSQL ${serverVersion} is older than the oldest supported, ${minimumVersion}`);
  }
}

/** A workflow file or declaration cannot be read, or breaks the registry's rules: one line per problem. */
export class InvalidWorkflowError extends JobMasterError {
  override readonly code = 'JM_INVALID_WORKFLOW';
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} workflow problems:\n${problems.join('\n')}`);
  }
}

/** No workflow with this name is deployed. */
export class UnknownWorkflowError extends JobMasterError {
  override readonly code = 'JM_UNKNOWN_WORKFLOW';
  constructor(readonly workflow: string) {
    super(`No workflow ${JSON.stringify(workflow)} is deployed ("jm deploy" syncs the workflow files; "jm workflows" lists them)`);
  }
}

/** A workflow run id that does not exist. */
export class WorkflowRunNotFoundError extends JobMasterError {
  override readonly code = 'JM_WORKFLOW_RUN_NOT_FOUND';
  constructor(readonly runId: string) {
    super(`No workflow run ${runId} exists ("jm workflow runs" lists them)`);
  }
}

/** A run key is held by a running run of the workflow, and the start asked to raise. */
export class WorkflowRunKeyConflictError extends JobMasterError {
  override readonly code = 'JM_WORKFLOW_RUN_KEY_CONFLICT';
  constructor(
    readonly workflow: string,
    readonly runKey: string,
    readonly runId: string,
  ) {
    super(
      `workflow ${JSON.stringify(workflow)}: a run with key ${JSON.stringify(runKey)} is already running (run ${runId}); start with onConflict 'ignore' or 'replace' to reuse it`,
    );
  }
}

/**
 * The connection broke while a transaction was committing, so whether it committed is not
 * known from this side; `transactionStatus(xid)` on a new connection tells (see
 * `trackedTransaction`). `value` is what the transaction's work returned before the commit.
 */
export class CommitOutcomeUnknownError extends JobMasterError {
  override readonly code = 'JM_COMMIT_OUTCOME_UNKNOWN';
  constructor(
    /** The transaction's id (xid8, as text). */
    readonly xid: string,
    readonly value: unknown,
    options?: { cause?: unknown },
  ) {
    super(
      `The database connection was lost while transaction ${xid} committed, and whether it committed could not be checked: look before repeating the command (jm status)`,
      options,
    );
  }
}
