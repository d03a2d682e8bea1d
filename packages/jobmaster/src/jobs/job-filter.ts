import { InvalidArgumentsError } from '../errors.js';
import type { JsonValue } from '../registry/task-definition.js';
import { parseJobId } from './job-id.js';
import { parseJobStatus, type JobStatus } from './job-status.js';

const FINISHED: readonly JobStatus[] = ['complete', 'failed', 'cancelled'];

/** Which jobs a list or a bulk action covers. Every field is optional; none means every job. */
export interface JobFilter {
  /** Only jobs of this task. */
  task?: { typeKey: string; taskKey: string };
  /** Only jobs in one of these statuses. */
  status?: JobStatus[];
  /** Only jobs created at or after this time. */
  createdFrom?: Date;
  /** Only jobs created before this time. */
  createdTo?: Date;
  /** Only jobs whose arguments contain this object (jsonb `@>`): `{"region": "eu"}`. */
  args?: Record<string, JsonValue>;
  /** Only jobs with an id at most this: the newest a page showed, so jobs arriving later are left out. */
  upToId?: string;
}

function checkDate(value: Date | undefined, what: string): string | null {
  if (value === undefined) return null;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new InvalidArgumentsError(`${what} must be a valid date`);
  return value.toISOString();
}

/**
 * The filter as a SQL condition on `j` with its bind values appended to `values`; every
 * value is bound, nothing user-given enters the SQL text.
 */
export function filterCondition(filter: JobFilter, values: unknown[]): string {
  const bind = (value: unknown, type: string): string => `$${values.push(value)}::${type}`;
  const parts: string[] = [];
  if (filter.task) parts.push(`j.type_key = ${bind(filter.task.typeKey, 'text')} and j.task_key = ${bind(filter.task.taskKey, 'text')}`);
  if (filter.status !== undefined) {
    const statuses = [...new Set(filter.status.map((s) => parseJobStatus(s)))];
    parts.push(statuses.length === 1 ? `j.status = ${bind(statuses[0], 'text')}` : `j.status = any (${bind(statuses, 'text[]')})`);
    // Always true of finished jobs; said so that the indexes of finished jobs serve the page.
    if (statuses.length > 0 && statuses.every((s) => FINISHED.includes(s))) parts.push('j.finished_at is not null');
  }
  const from = checkDate(filter.createdFrom, 'createdFrom');
  if (from !== null) parts.push(`j.created_at >= ${bind(from, 'timestamptz')}`);
  const to = checkDate(filter.createdTo, 'createdTo');
  if (to !== null) parts.push(`j.created_at < ${bind(to, 'timestamptz')}`);
  if (filter.args !== undefined) {
    if (typeof filter.args !== 'object' || filter.args === null || Array.isArray(filter.args)) {
      throw new InvalidArgumentsError('args must be a JSON object such as {"region": "eu"}');
    }
    parts.push(`j.arguments @> ${bind(JSON.stringify(filter.args), 'jsonb')}`);
  }
  if (filter.upToId !== undefined) parts.push(`j.id <= ${bind(parseJobId(filter.upToId), 'bigint')}`);
  return parts.length ? parts.join(' and ') : 'true';
}
