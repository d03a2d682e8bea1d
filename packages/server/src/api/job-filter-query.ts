import { parseJobStatus, parseTaskName, type JobFilter, type JobStatus, type JsonValue } from 'jobmaster';
import { ApiError } from '../http/api-error.js';

/** The query parameters of a job list, as the API and the dashboard's jobs page take them. */
export const JOB_LIST_PARAMETERS = {
  task: 'Only jobs of this task (type_key.task_key)',
  status: 'Only jobs in these statuses, comma-separated (waiting,running,complete,failed,cancelled)',
  from: 'Only jobs created at or after this ISO 8601 time',
  to: 'Only jobs created before this ISO 8601 time',
  args: 'Only jobs whose arguments contain this JSON object, e.g. {"region":"eu"}',
  before: 'The nextCursor of the previous page',
  limit: 'Jobs per page, 1 to 500 (Default: 50)',
} as const;

function bad(message: string): ApiError {
  return new ApiError(400, 'JM_INVALID_REQUEST', message);
}

/** Turns a date filter given as text into a Date, or a 400. */
export function parseTime(text: string, name: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime()))
    throw bad(`${name} must be an ISO 8601 time such as 2026-12-03T09:00:00Z, got ${JSON.stringify(text.slice(0, 40))}`);
  return date;
}

/** Parses the args filter: a JSON object. */
export function parseArgsFilter(text: string): Record<string, JsonValue> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad(`args must be a JSON object such as {"region":"eu"}, got ${JSON.stringify(text.slice(0, 40))}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('args must be a JSON object such as {"region":"eu"}');
  return value as Record<string, JsonValue>;
}

/** The filter and page of a job list from query parameters; unknown parameters and bad values are 400s. Empty values are ignored. */
export function parseJobListQuery(
  query: URLSearchParams,
  allowed: readonly string[] = Object.keys(JOB_LIST_PARAMETERS),
): {
  filter: JobFilter;
  before?: string;
  limit?: number;
} {
  for (const key of query.keys()) {
    if (!allowed.includes(key)) throw bad(`Unknown query parameter ${JSON.stringify(key.slice(0, 40))} (use ${allowed.join(', ')})`);
  }
  const get = (name: string): string | undefined => {
    const value = query.get(name)?.trim();
    return value ? value : undefined;
  };
  const filter: JobFilter = {};
  const task = get('task');
  if (task !== undefined) filter.task = parseTaskName(task);
  const status = get('status');
  if (status !== undefined) filter.status = status.split(',').map((s): JobStatus => parseJobStatus(s.trim()));
  const from = get('from');
  if (from !== undefined) filter.createdFrom = parseTime(from, 'from');
  const to = get('to');
  if (to !== undefined) filter.createdTo = parseTime(to, 'to');
  const args = get('args');
  if (args !== undefined) filter.args = parseArgsFilter(args);
  const result: { filter: JobFilter; before?: string; limit?: number } = { filter };
  const before = get('before');
  if (before !== undefined) result.before = before;
  const limit = get('limit');
  if (limit !== undefined) {
    if (!/^\d{1,4}$/.test(limit)) throw bad(`limit must be a whole number from 1 to 500, got ${JSON.stringify(limit.slice(0, 20))}`);
    result.limit = Number(limit);
  }
  return result;
}

/** A filter given in a JSON body (the bulk actions). */
export function filterFromBody(body: {
  task?: string;
  status?: JobStatus[];
  createdFrom?: string;
  createdTo?: string;
  args?: Record<string, JsonValue>;
  upToId?: string;
}): JobFilter {
  const filter: JobFilter = {};
  if (body.task !== undefined) filter.task = parseTaskName(body.task);
  if (body.status !== undefined) filter.status = body.status;
  if (body.createdFrom !== undefined) filter.createdFrom = parseTime(body.createdFrom, 'createdFrom');
  if (body.createdTo !== undefined) filter.createdTo = parseTime(body.createdTo, 'createdTo');
  if (body.args !== undefined) filter.args = body.args;
  if (body.upToId !== undefined) filter.upToId = body.upToId;
  return filter;
}
