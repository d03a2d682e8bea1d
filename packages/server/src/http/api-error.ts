import { isJobMasterError } from 'jobmaster';

/** An HTTP failure with the status to answer and a one-line message. */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const NOT_FOUND = new Set([
  'JM_UNKNOWN_TASK',
  'JM_JOB_NOT_FOUND',
  'JM_SCHEDULE_NOT_FOUND',
  'JM_TOKEN_NOT_FOUND',
  'JM_UNKNOWN_WORKFLOW',
  'JM_WORKFLOW_RUN_NOT_FOUND',
]);
const CONFLICT = new Set([
  'JM_JOB_KEY_CONFLICT',
  'JM_SCHEDULE_EXISTS',
  'JM_CODE_SCHEDULE',
  'JM_TOKEN_EXISTS',
  'JM_TOO_MANY_JOBS',
  'JM_WORKFLOW_RUN_KEY_CONFLICT',
]);

/** The status, code and message to answer for an error; null for one that is not the caller's fault. */
export function describeError(error: unknown): { status: number; code: string; message: string } | null {
  if (error instanceof ApiError) return { status: error.status, code: error.code, message: error.message };
  if (isJobMasterError(error)) {
    const status = NOT_FOUND.has(error.code) ? 404 : CONFLICT.has(error.code) ? 409 : error.code === 'JM_SCHEMA_NOT_DEPLOYED' ? 503 : 400;
    return { status, code: error.code, message: error.message };
  }
  return null;
}
