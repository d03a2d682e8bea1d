import { InvalidArgumentsError } from '../errors.js';

/** Every status a job can be in, in the order a job moves through them. */
export const JOB_STATUSES = ['waiting', 'running', 'complete', 'failed', 'cancelled'] as const;

/** A job's status: waiting, running, complete, failed or cancelled. */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** True when `text` names a job status. */
export function isJobStatus(text: string): text is JobStatus {
  return (JOB_STATUSES as readonly string[]).includes(text);
}

/** Reads a job status, naming `what` (e.g. "--status") when it is not one. */
export function parseJobStatus(text: string, what = 'status'): JobStatus {
  const trimmed = text.trim().toLowerCase();
  if (!isJobStatus(trimmed)) {
    throw new InvalidArgumentsError(`${what} must be one of ${JOB_STATUSES.join(', ')}, got ${JSON.stringify(text.slice(0, 60))}`);
  }
  return trimmed;
}
