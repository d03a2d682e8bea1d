/**
 * JobMaster: a PostgreSQL job scheduler. Declare tasks with `@task` or `defineTask`, deploy
 * the registry with `deploy` (or `jm deploy`), enqueue jobs with `JobMaster`, run them with
 * the worker (`jm run`).
 *
 * This list is deliberate: what task code and applications call, plus what the `jm` CLI and
 * the benchmarks build on. Everything else is internal and may change without notice; each
 * symbol's TSDoc comment lives on its declaration.
 */
import 'reflect-metadata';

// Declaring tasks
export {
  task,
  defineTask,
  Dependency,
  same,
  JobContext,
  currentJob,
  currentJobOrNull,
  registry,
  type JsonValue,
  type TaskDefinition,
  type TaskOptions,
  type ParamOptions,
} from './registry/index.js';
export { loadTaskModules } from './loader/index.js';

// Enqueueing and deploying from TypeScript
export {
  JobMaster,
  type JobMasterOptions,
  type EnqueueOptions,
  type BatchJob,
  type TaskReference,
  type StartWorkflowOptions,
} from './client.js';
export {
  enqueueJob,
  enqueueJobs,
  ON_CONFLICT_MODES,
  EARLIEST_TIME,
  LATEST_TIME,
  checkRunAt,
  parseTaskName,
  type EnqueueResult,
  type OnConflict,
  type JobRequest,
} from './jobs/index.js';

// Seeing ahead and asking why: `jm enqueue --plan`, `jm workflow start --plan`, `jm explain`
export {
  planEnqueue,
  explainJob,
  type EnqueuePlan,
  type PlannedJob,
  type PlannedDependency,
  type JobExplanation,
  type ExplainReason,
  type ExplainCode,
} from './jobs/index.js';
export { deploy, describeReset, type DeployResult, type ResetImpact } from './deploy/deploy.js';

// Cron schedules added at run time (`jm schedule`); schedules in code are the task option `schedule`
export {
  parseCatchUp,
  addSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  removeSchedule,
  type ScheduleInfo,
} from './schedule/index.js';

// Configuration and database access
export { resolveSettings, type Settings, type SettingsInput } from './config/settings.js';
export { createPool, translateConnectionError } from './db/connect.js';
export { DEFAULT_SCHEMA, validateSchemaName } from './db/schema-name.js';
export type { Queryable } from './db/queryable.js';
export { trackedTransaction, transactionStatus, type TransactionStatus } from './db/tracked-transaction.js';

// Seeing what happens and operating on jobs (`jm status`, `jm cancel`, `jm retry`, `jm prune`)
export {
  JOB_STATUSES,
  parseJobStatus,
  parseJobId,
  countJobsByTask,
  countRemainingJobs,
  requireKnownTask,
  getJobDetail,
  cancelJobs,
  retryJobs,
  retryFailedJobs,
  pruneJobs,
  type JobStatus,
  type JobDetail,
  type RelatedJob,
  type CancelOutcome,
  type RetryOutcome,
  type PruneResult,
} from './jobs/index.js';
export { getQueueStatus, type QueueStatus, type QueueStatusOptions } from './status/index.js';
export { readQueueGauges, BLOCKED_REASONS, type TaskGauges, type BlockedReason } from './jobs/index.js';

// Failure alerts: recorded with each failure, delivered by workers (`jm run --alert-webhook`, `onFailure`, `onJobFailed`)
export {
  ALERT_ON_VALUES,
  ALERT_COUNT_CAP,
  InvalidAlertOptionError,
  parseWebhookUrl,
  parseAlertOn,
  parseAlertCommand,
  getAlertStatus,
  pruneAlerts,
  type FailureAlert,
  type FailureAlertHandler,
  type AlertCause,
  type AlertOn,
  type AlertOptions,
  type AlertSummary,
  type AlertStatus,
  type PrunedAlerts,
} from './alerts/index.js';

// Browsing jobs for the HTTP API and dashboard (`jm serve`): keyset pages, bounded counts, snapshots
export {
  listJobs,
  countJobsUpTo,
  MAX_PAGE_SIZE,
  ARGUMENT_SEARCH_WINDOW,
  type JobSummary,
  type JobPage,
  type PageOptions,
} from './jobs/list-jobs.js';
export { snapshotJobIds, TooManyJobsError, DEFAULT_BULK_CAP } from './jobs/job-snapshot.js';
export { listRegisteredTasks, type RegisteredTask, type RegisteredParameter } from './deploy/registered-tasks.js';
export { getThroughput, type ThroughputMinute } from './jobs/throughput.js';
export { currentChangeCursor, readJobChanges, START_OVERLAP_MS, type JobChange, type ChangeCursor } from './jobs/job-changes.js';
export { type JobFilter } from './jobs/job-filter.js';

// Access tokens for the HTTP API and dashboard (`jm token`)
export {
  createApiToken,
  listApiTokens,
  revokeApiToken,
  hasActiveApiToken,
  verifyApiToken,
  hashApiToken,
  TOKEN_SCOPES,
  scopeAllows,
  parseTokenScope,
  validateTokenName,
  parseTokenLifetime,
  TokenExistsError,
  TokenNotFoundError,
  InvalidTokenOptionError,
  type ApiTokenInfo,
  type CreatedApiToken,
  type NewApiToken,
  type TokenCheck,
  type TokenScope,
} from './tokens/index.js';

// Running jobs (`jm run`)
export { Worker, runWorker } from './worker/worker.js';
export { isNodeName, resolveWorkerOptions, type WorkerOptions } from './worker/worker-options.js';
export type { WorkerSummary, WorkerEvent } from './worker/worker-events.js';

// Errors: every failure a caller can meet, as a class to catch, with its facts as fields
export {
  JobMasterError,
  isJobMasterError,
  TaskRegistrationError,
  RegistryError,
  TaskLoadError,
  ConfigError,
  UnknownTaskError,
  InvalidArgumentsError,
  DatabaseUnavailableError,
  SchemaNotDeployedError,
  JobNotFoundError,
  InvalidJobIdError,
  JobsFailedError,
  JobKeyConflictError,
  InvalidScheduleError,
  ScheduleExistsError,
  ScheduleNotFoundError,
  CodeScheduleError,
  UnsupportedPostgresVersionError,
  CommitOutcomeUnknownError,
  InvalidWorkflowError,
  UnknownWorkflowError,
  WorkflowRunNotFoundError,
  WorkflowRunKeyConflictError,
} from './errors.js';

// Workflows: DAGs of steps declared in YAML/JSON files or with defineWorkflow
export {
  defineWorkflow,
  loadWorkflows,
  loadWorkflowFiles,
  parseWorkflowText,
  validateWorkflows,
  resolveTask,
  findCycle,
  topologicalOrder,
  normalizeWorkflow,
  checkWorkflowDocument,
  WORKFLOW_SCHEMA_FILE,
  MAX_WORKFLOW_STEPS,
  MAX_WORKFLOW_DEPTH,
  MAX_WORKFLOW_FILE_BYTES,
  type WorkflowDeclaration,
  type WorkflowStepDeclaration,
  type WorkflowDefinition,
  type WorkflowStep,
  type WorkflowParam,
  type WorkflowSchedule,
  type WorkflowDocument,
  type WorkflowStepDocument,
  type ResolvedWorkflow,
  type ResolvedWorkflowStep,
  startWorkflow,
  startWorkflows,
  planWorkflowRun,
  type WorkflowRunPlan,
  type PlannedStep,
  declaredWorkflows,
  listDeployedWorkflows,
  getDeployedWorkflow,
  type DeployedWorkflow,
  type DeployedWorkflowStep,
  readWorkflowRunStates,
  currentRunCursor,
  type WorkflowRunState,
  listWorkflowRuns,
  getWorkflowRun,
  cancelWorkflowRun,
  retryWorkflowRun,
  countWorkflowRuns,
  parseRunId,
  WORKFLOW_RUN_STATUSES,
  type WorkflowRunStatus,
  type WorkflowRunSummary,
  type WorkflowRunStep,
  type WorkflowRunDetail,
  type WorkflowStartRequest,
  type WorkflowStartResult,
} from './workflow/index.js';
export { syncWorkflows, storedDefinition, type WorkflowChanges } from './deploy/sync-workflows.js';

// The task dependency graph and the workflows, for `jm graph` and the dashboard's pictures
export {
  taskGraphFromCode,
  readDeployedTaskGraph,
  focusTaskGraph,
  selectGraphWorkflow,
  renderTaskGraph,
  parseGraphFormat,
  GRAPH_FORMATS,
  NEXT_LABEL,
  describeDependency,
  describeDependencyArgument,
  describeHours,
  describeTaskFacts,
  TaskNotInGraphError,
  type GraphFormat,
  type TaskGraph,
  type TaskGraphTask,
  type TaskGraphDependency,
  type TaskGraphChain,
  type TaskGraphWorkflow,
  type TaskGraphStep,
} from './graph/index.js';
