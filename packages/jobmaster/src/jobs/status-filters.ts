import { InvalidArgumentsError } from '../errors.js';
import { parseJobStatus, type JobStatus } from './job-status.js';

/** What the status queries look at. Every field is optional; none means everything. */
export interface StatusFilters {
  /** Only jobs of this task. (Default: every task) */
  task?: { typeKey: string; taskKey: string };
  /** Only jobs in this status. (Default: every status) */
  status?: JobStatus;
  /**
   * Only finished jobs (complete, failed, cancelled) that finished at or after this time.
   * Waiting and running jobs are the present and always count. (Default: no limit)
   */
  since?: Date;
}

/** The filters as bind values: task type key, task key, status, since (ISO text); null = no filter. */
export function filterValues(filters: StatusFilters): [string | null, string | null, string | null, string | null] {
  const status = filters.status === undefined ? null : parseJobStatus(filters.status);
  if (filters.since !== undefined && (!(filters.since instanceof Date) || Number.isNaN(filters.since.getTime()))) {
    throw new InvalidArgumentsError('since must be a valid Date');
  }
  return [filters.task?.typeKey ?? null, filters.task?.taskKey ?? null, status, filters.since?.toISOString() ?? null];
}
