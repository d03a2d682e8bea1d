export { filterCondition, type JobFilter } from './job-filter.js';
export { listJobs, countJobsUpTo, MAX_PAGE_SIZE, type JobSummary, type JobPage, type PageOptions } from './list-jobs.js';
export { snapshotJobIds, TooManyJobsError, DEFAULT_BULK_CAP } from './job-snapshot.js';
export { listRegisteredTasks, type RegisteredTask, type RegisteredParameter } from './registered-tasks.js';
export { getThroughput, type ThroughputMinute } from './throughput.js';
export { currentChangeCursor, readJobChanges, START_OVERLAP_MS, type JobChange, type ChangeCursor } from './job-changes.js';
