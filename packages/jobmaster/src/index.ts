/**
 * JobMaster: a PostgreSQL job scheduler. Declare tasks with `@task` or `defineTask`, deploy
 * the registry with `deploy` (or `jm deploy`), enqueue jobs with `JobMaster`, run them with
 * the worker (`jm run`).
 */
import 'reflect-metadata';

// Declaring tasks
export {
  task,
  defineTask,
  Dependency,
  same,
  SameValue,
  JobContext,
  currentJob,
  currentJobOrNull,
  runWithJobContext,
  registry,
  getRegistry,
  TaskRegistry,
  type ArithmeticStep,
  type DependencyArgument,
  type DependencyArgumentValue,
  type DependencyDeclaration,
  type DependencyDefinition,
  type JobContextInit,
  type JobLogger,
  type JsonType,
  type JsonValue,
  type ParamOptions,
  type ParamType,
  type ParameterDefinition,
  type TaskDefinition,
  type TaskInvocationContext,
  type TaskOptions,
  type TaskKeys,
} from './registry/index.js';
export { loadTaskModules, type LoadTaskModulesOptions, type LoadedTaskModules } from './loader/index.js';

// Enqueueing and deploying from TypeScript
export { JobMaster, type JobMasterOptions, type EnqueueOptions, type BatchJob, type TaskReference } from './client.js';
export {
  enqueueJob,
  enqueueJobs,
  ON_CONFLICT_MODES,
  type JobRequest,
  type EnqueueResult,
  type EnqueueOutcome,
  type OnConflict,
} from './queue/enqueue.js';
export { parseTaskName } from './queue/task-name.js';
export { deploy, describeReset, type DeployResult, type ResetImpact } from './deploy/deploy.js';
export type { RegistryChanges } from './deploy/sync-registry.js';
export type { ScheduleChanges } from './deploy/sync-schedules.js';

// Cron schedules (the task option `schedule`, `jm schedule`) and waking on time
export {
  CronSchedule,
  isTimeZone,
  parseYearField,
  parseCatchUp,
  formatCatchUp,
  validateScheduleName,
  planTicks,
  fireDueSchedules,
  nextWake,
  ScheduleTicker,
  SCHEDULE_CHECK_INTERVAL_MS,
  addSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  removeSchedule,
  databaseNow,
  ON_TIME_GRACE_MS,
  MAX_BACKFILL,
  type CatchUp,
  type CatchUpText,
  type ScheduleOption,
  type ScheduleDeclaration,
  type ScheduleDefinition,
  type TickPlan,
  type FireResult,
  type FiredTick,
  type NextWake,
  type ScheduleInfo,
  type NewSchedule,
  type ScheduleTickerOptions,
} from './schedule/index.js';

// Configuration and database access
export { resolveSettings, CONFIG_FILE_NAME, type Settings, type SettingsInput } from './config/settings.js';
export { createPool, translateConnectionError, describeTarget } from './db/connect.js';
export { DEFAULT_SCHEMA, validateSchemaName, notifyChannel } from './db/schema-name.js';
export type { Queryable } from './db/queryable.js';

// The embedded database (PGlite in a local directory, used when no DATABASE_URL is set)
export { createEmbeddedPool, type EmbeddedPoolOptions } from './embedded/embedded-pool.js';
export { serveEmbeddedDatabase, EMBEDDED_POSTGRES_SETTINGS, type ServeOptions } from './embedded/embedded-server.js';

// Seeing what happens and operating on jobs (`jm status`, `jm cancel`, `jm retry`, `jm prune`)
export {
  JOB_STATUSES,
  isJobStatus,
  parseJobStatus,
  parseJobId,
  countJobsByTask,
  totalCounts,
  listRunningJobs,
  listNodeUnits,
  WORKER_GONE_AFTER_SECONDS,
  listRecentFailures,
  getQueueStatus,
  requireKnownTask,
  getJobDetail,
  cancelJobs,
  retryJobs,
  retryFailedJobs,
  pruneJobs,
  type JobStatus,
  type JobIdInput,
  type StatusFilters,
  type StatusCounts,
  type TaskJobCounts,
  type RunningJob,
  type NodeUnits,
  type FailedJob,
  type QueueStatus,
  type QueueStatusOptions,
  type JobDetail,
  type JobHistoryEntry,
  type RelatedJob,
  type Operator,
  type CancelOutcome,
  type RetryOutcome,
  type RetryFailedFilter,
  type PruneOptions,
  type PruneResult,
} from './status/index.js';

// Browsing jobs for the HTTP API and dashboard (`jm serve`): keyset pages, bounded counts, snapshots
export {
  listJobs,
  countJobsUpTo,
  MAX_PAGE_SIZE,
  snapshotJobIds,
  TooManyJobsError,
  DEFAULT_BULK_CAP,
  listRegisteredTasks,
  getThroughput,
  currentChangeCursor,
  readJobChanges,
  START_OVERLAP_MS,
  type JobFilter,
  type JobSummary,
  type JobPage,
  type PageOptions,
  type RegisteredTask,
  type RegisteredParameter,
  type ThroughputMinute,
  type JobChange,
  type ChangeCursor,
} from './browse/index.js';

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
export {
  DEFAULT_PROCESS_UNITS,
  isNodeName,
  processUnitsFromEnvironment,
  resolveWorkerOptions,
  type WorkerOptions,
  type ResolvedWorkerOptions,
} from './worker/worker-options.js';
export {
  emptySummary,
  type WorkerSummary,
  type WorkerEvent,
  type ClaimedJob,
  type JobEndStatus,
  type TooLargeJob,
} from './worker/worker-events.js';

// Errors
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
  EmbeddedDatabaseError,
  InvalidJobIdError,
  JobsFailedError,
  JobKeyConflictError,
  InvalidScheduleError,
  ScheduleExistsError,
  ScheduleNotFoundError,
  CodeScheduleError,
} from './errors.js';
