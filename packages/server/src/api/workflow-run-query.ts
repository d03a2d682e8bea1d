import { WORKFLOW_RUN_STATUSES, parseRunId, type WorkflowRunStatus } from 'jobmaster';
import { ApiError } from '../http/api-error.js';

/** The query parameters of a run list, as the API and the dashboard's workflows page take them. */
export const RUN_LIST_PARAMETERS = {
  workflow: 'Only runs of this workflow',
  status: 'Only runs in this status (running, complete, failed, cancelled)',
  before: 'The nextCursor of the previous page',
  limit: 'Runs per page, 1 to 200 (Default: 50)',
} as const;

/** Most runs one page may hold. */
export const MAX_RUN_PAGE = 200;

function bad(message: string): ApiError {
  return new ApiError(400, 'JM_INVALID_REQUEST', message);
}

/** The filters and page of a run list; unknown parameters and bad values are 400s, empty values are ignored. */
export function parseRunListQuery(
  query: URLSearchParams,
  allowed: readonly string[] = Object.keys(RUN_LIST_PARAMETERS),
): { workflow?: string; status?: WorkflowRunStatus; before?: string; limit: number } {
  for (const key of query.keys()) {
    if (!allowed.includes(key)) throw bad(`Unknown query parameter ${JSON.stringify(key.slice(0, 40))} (use ${allowed.join(', ')})`);
  }
  const workflow = query.get('workflow') || undefined;
  if (workflow !== undefined && workflow.length > 200) throw bad('workflow must be at most 200 characters');
  const status = query.get('status') || undefined;
  if (status !== undefined && !WORKFLOW_RUN_STATUSES.includes(status as WorkflowRunStatus)) {
    throw bad(`status must be one of ${WORKFLOW_RUN_STATUSES.join(', ')}, got ${JSON.stringify(status.slice(0, 40))}`);
  }
  const before = query.get('before') || undefined;
  const limitText = query.get('limit') || undefined;
  const limit = limitText === undefined ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RUN_PAGE) {
    throw bad(`limit must be an integer from 1 to ${MAX_RUN_PAGE}, got ${JSON.stringify(String(limitText).slice(0, 40))}`);
  }
  return {
    ...(workflow !== undefined && { workflow }),
    ...(status !== undefined && { status: status as WorkflowRunStatus }),
    ...(before !== undefined && { before: parseRunId(before) }),
    limit,
  };
}
