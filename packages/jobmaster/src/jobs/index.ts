// Every queue operation on the `jobs` table, one per file. Function calls (claim_jobs,
// retry_jobs, ...) are plain parameterised queries; queries composed from optional parts
// (filters) are built with Kysely (query-builder.ts) and run on the caller's connection.
export { JOB_STATUSES, isJobStatus, parseJobStatus, type JobStatus } from './job-status.js';
export { parseJobId, type JobIdInput } from './job-id.js';
export type { StatusFilters } from './status-filters.js';
export type { Operator } from './operator.js';
export { parseTaskName } from './task-name.js';
export { EARLIEST_TIME, LATEST_TIME, isStorableTime, checkRunAt } from './run-at.js';
export { ON_CONFLICT_MODES, type JobRequest, type EnqueueResult, type EnqueueOutcome, type OnConflict } from './enqueue-request.js';
export { enqueueJob } from './enqueue-job.js';
export { enqueueJobs } from './enqueue-jobs.js';
export { planEnqueue, type EnqueuePlan, type PlannedJob, type PlannedDependency } from './plan-enqueue.js';
export { explainJob, type JobExplanation, type ExplainReason, type ExplainCode } from './explain-job.js';
export { claimJobs, type ClaimedJob, type ClaimResult, type ClaimerIdentity, type HandledJob } from './claim-jobs.js';
export { completeJobs } from './complete-jobs.js';
export { failJobs, type FailedAttempt } from './fail-jobs.js';
export { cancelJobs, type CancelOutcome } from './cancel-jobs.js';
export { cancelRunningJobs } from './cancel-running-jobs.js';
export { releaseJobs } from './release-jobs.js';
export { heartbeatJobs } from './heartbeat-jobs.js';
export { retryJobs, type RetryOutcome } from './retry-jobs.js';
export { retryFailedJobs, type RetryFailedFilter } from './retry-failed-jobs.js';
export { pruneJobs, type PruneOptions, type PruneResult } from './prune-jobs.js';
export { countJobsByTask, totalCounts, type StatusCounts, type TaskJobCounts } from './count-jobs-by-task.js';
export { countJobsByStatus } from './count-jobs-by-status.js';
export { countRemainingJobs } from './count-remaining-jobs.js';
export { listRunningJobs, type RunningJob } from './list-running-jobs.js';
export { listRecentFailures, type FailedJob } from './list-recent-failures.js';
export { getJobDetail, type JobDetail, type JobHistoryEntry, type RelatedJob } from './get-job-detail.js';
export { listNodeUnits, WORKER_GONE_AFTER_SECONDS, type NodeUnits } from './list-node-units.js';
export { findTooLargeJobs, type TooLargeJob } from './find-too-large-jobs.js';
export { requireKnownTask } from './require-known-task.js';
export { readQueueGauges, BLOCKED_REASONS, type TaskGauges, type BlockedReason } from './queue-gauges.js';
