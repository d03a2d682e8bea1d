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

/**
 * An argument search (`args`) reads at most this many job ids per page or count: no index
 * serves `arguments @> ...` (one would slow every enqueue), so a search for a rare value over
 * millions of jobs would otherwise read them all (748 ms at 1,000,000). A page may then hold
 * fewer matches than its limit, or none, and still give a cursor to the older jobs.
 */
export const ARGUMENT_SEARCH_WINDOW = 100_000;

/** For an argument search: the lowest id a page below `before` reads, and whether older jobs exist below it. */
async function searchWindow(db: Queryable, schema: string, before: string | null): Promise<{ floor: string; older: boolean }> {
  const { rows } = await db.query<{ floor: string | null; older: boolean | null }>(
    `select w.upper - $2::bigint as floor, (select min(j.id) from ${quoteSchema(schema)}.jobs j) < w.upper - $2::bigint as older
       from (select coalesce($1::bigint, (select max(j.id) + 1 from ${quoteSchema(schema)}.jobs j)) as upper) w`,
    [before, ARGUMENT_SEARCH_WINDOW],
  );
  return { floor: rows[0]?.floor ?? '0', older: rows[0]?.older ?? false };
}

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
  const beforeId = page.before === undefined ? null : parseJobId(page.before);
  const before = beforeId === null ? '' : `and j.id < $${values.push(beforeId)}::bigint`;
  try {
    const window = filter.args === undefined ? null : await searchWindow(db, schema, beforeId);
    const floor = window === null ? '' : `and j.id >= $${values.push(window.floor)}::bigint`;
    values.push(limit + 1);
    const { rows } = await db.query<SummaryRow>(
      `select j.id, j.type_key, j.task_key, j.status, j.priority, j.arguments, j.attempts, j.created_at,
              j.started_at, j.finished_at, j.node, j.message
         from ${quoteSchema(schema)}.jobs j
        where ${where} ${before} ${floor}
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
    const nextCursor = more ? jobs[jobs.length - 1]!.id : window?.older ? window.floor : null;
    return { jobs, nextCursor };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}

/**
 * Counts matching jobs up to `cap` (Default: 10,000): a bounded count that stops reading
 * there, never a scan of the whole table. `capped` says whether more match (or, for an
 * argument search, whether older jobs lie beyond the window it read).
 */
export async function countJobsUpTo(
  db: Queryable,
  schema: string,
  filter: JobFilter = {},
  cap = 10_000,
): Promise<{ count: number; capped: boolean }> {
  const values: unknown[] = [];
  const where = filterCondition(filter, values);
  try {
    // An argument search counts within the newest ARGUMENT_SEARCH_WINDOW ids: "at least".
    const window = filter.args === undefined ? null : await searchWindow(db, schema, null);
    const floor = window === null ? '' : `and j.id >= $${values.push(window.floor)}::bigint`;
    values.push(cap + 1);
    const { rows } = await db.query<{ n: string }>(
      `select count(*) as n from (select 1 from ${quoteSchema(schema)}.jobs j where ${where} ${floor} limit $${values.length}) m`,
      values,
    );
    const n = Number(rows[0]?.n ?? 0);
    return { count: Math.min(n, cap), capped: n > cap || (window?.older ?? false) };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
