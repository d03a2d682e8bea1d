import type { Queryable } from '../db/queryable.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { quoteSchema } from '../db/schema-name.js';
import { InvalidArgumentsError } from '../errors.js';
import type { JsonValue } from '../registry/task-definition.js';
import { parseJobId } from './job-id.js';
import type { JobStatus } from './job-status.js';
import { filterCondition, type JobFilter } from './job-filter.js';

/** One job in a list: enough to show a row and link to it. */
export interface JobSummary {
  id: string;
  /** `type_key.task_key` */
  task: string;
  status: JobStatus;
  priority: number;
  arguments: Record<string, JsonValue>;
  attempts: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  node: string | null;
  message: string | null;
}

/** One page of jobs, newest first. */
export interface JobPage {
  jobs: JobSummary[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** Where a page starts and how long it is. */
export interface PageOptions {
  /** Only jobs with a smaller id than this (the previous page's `nextCursor`). (Default: the newest) */
  before?: string;
  /** Jobs per page, 1 to 500. (Default: 50) */
  limit?: number;
}

/** The most jobs one page may hold. */
export const MAX_PAGE_SIZE = 500;

interface SummaryRow {
  id: string;
  type_key: string;
  task_key: string;
  status: JobStatus;
  priority: number;
  arguments: Record<string, JsonValue>;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  node: string | null;
  message: string | null;
}

/**
 * Lists jobs matching a filter, newest first, one keyset page at a time: each page starts
 * below the previous one's last id, so a page costs the same at the millionth job as at the
 * first and rows inserted meanwhile never shift it.
 */
export async function listJobs(db: Queryable, schema: string, filter: JobFilter = {}, page: PageOptions = {}): Promise<JobPage> {
  const limit = page.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new InvalidArgumentsError(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, got ${String(limit)}`);
  }
  const values: unknown[] = [];
  const where = filterCondition(filter, values);
  const before = page.before === undefined ? '' : `and j.id < $${values.push(parseJobId(page.before))}::bigint`;
  values.push(limit + 1);
  try {
    const { rows } = await db.query<SummaryRow>(
      `select j.id, j.type_key, j.task_key, j.status, j.priority, j.arguments, j.attempts, j.created_at,
              j.started_at, j.finished_at, j.node, j.message
         from ${quoteSchema(schema)}.jobs j
        where ${where} ${before}
        order by j.id desc
        limit $${values.length}`,
      values,
    );
    const more = rows.length > limit;
    const jobs = rows.slice(0, limit).map((r): JobSummary => ({
      id: String(r.id),
      task: `${r.type_key}.${r.task_key}`,
      status: r.status,
      priority: r.priority,
      arguments: r.arguments,
      attempts: r.attempts,
      createdAt: r.created_at,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      node: r.node,
      message: r.message,
    }));
    return { jobs, nextCursor: more ? jobs[jobs.length - 1]!.id : null };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}

/**
 * Counts matching jobs up to `cap` (Default: 10,000): a bounded count that stops reading
 * there, never a scan of the whole table. `capped` says whether more match.
 */
export async function countJobsUpTo(
  db: Queryable,
  schema: string,
  filter: JobFilter = {},
  cap = 10_000,
): Promise<{ count: number; capped: boolean }> {
  const values: unknown[] = [];
  const where = filterCondition(filter, values);
  values.push(cap + 1);
  try {
    const { rows } = await db.query<{ n: string }>(
      `select count(*) as n from (select 1 from ${quoteSchema(schema)}.jobs j where ${where} limit $${values.length}) m`,
      values,
    );
    const n = Number(rows[0]?.n ?? 0);
    return { count: Math.min(n, cap), capped: n > cap };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
