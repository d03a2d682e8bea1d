import type { Queryable } from '../db/queryable.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { quoteSchema } from '../db/schema-name.js';
import { JobNotFoundError } from '../errors.js';
import { shownJson } from '../util/shown-json.js';
import type { JsonValue } from '../registry/task-definition.js';
import { parseJobId, type JobIdInput } from './job-id.js';
import type { JobStatus } from './job-status.js';

/** Another job named from a job's detail. */
export interface RelatedJob {
  id: string;
  /** `type_key.task_key` */
  task: string;
  status: JobStatus;
}

/** One status change in a job's history; the first is its creation. */
export interface JobHistoryEntry {
  at: Date;
  status: JobStatus;
  node: string | null;
  pid: number | null;
  message: string | null;
}

/** Everything known about one job. */
export interface JobDetail {
  id: string;
  /** `type_key.task_key` */
  task: string;
  typeKey: string;
  taskKey: string;
  status: JobStatus;
  priority: number;
  arguments: Record<string, JsonValue>;
  processUnits: number;
  attempts: number;
  maxAttempts: number;
  runAt: Date;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Where it runs or last ran. */
  node: string | null;
  pid: number | null;
  /** The latest status message. */
  message: string | null;
  /** The task's return value, once complete. */
  result: JsonValue | null;
  /** The last failed attempt: message, stack and attempt number. */
  error: { message?: string; stack?: string; attempt?: number } | null;
  cancelRequested: boolean;
  /** The job that inserted this one: a write-all fan-out of the same task, or a dependent needing it. */
  spawnedBy: (RelatedJob & { reason: 'fan-out' | 'dependency' }) | null;
  /** Jobs this one inserted (the first `spawnedLimit`); `spawnedTotal` counts them all. */
  spawned: RelatedJob[];
  spawnedTotal: number;
  /** Dependency jobs this job waits for before it can run. */
  waitingFor: RelatedJob[];
  /** Every status change, oldest first, starting with its creation. */
  history: JobHistoryEntry[];
}

interface JobRow {
  id: string;
  type_key: string;
  task_key: string;
  status: JobStatus;
  priority: number;
  arguments: Record<string, JsonValue>;
  process_units: number;
  attempts: number;
  max_attempts: number;
  run_at: Date;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  node: string | null;
  pid: number | null;
  message: string | null;
  result: JsonValue | null;
  error: JobDetail['error'];
  cancel_requested: boolean;
  spawned_by: string | null;
  waiting_for: string[] | null;
}

interface RelatedRow {
  id: string;
  type_key: string;
  task_key: string;
  status: JobStatus;
}

const related = (r: RelatedRow): RelatedJob => ({ id: String(r.id), task: `${r.type_key}.${r.task_key}`, status: r.status });

/**
 * Reads one job in full: arguments, outcome, the jobs around it and its history. An id that
 * is not a positive integer is an `InvalidJobIdError`; one that does not exist, a
 * `JobNotFoundError`. (Default spawnedLimit: 100)
 */
export async function getJobDetail(db: Queryable, schema: string, jobId: JobIdInput, spawnedLimit = 100): Promise<JobDetail> {
  const id = parseJobId(jobId);
  const s = quoteSchema(schema);
  try {
    const { rows } = await db.query<JobRow>(`select j.* from ${s}.jobs j where j.id = $1`, [id]);
    const job = rows[0];
    if (!job) throw new JobNotFoundError(id);
    const [spawnedBy, spawned, spawnedTotal, waitingFor, events] = await Promise.all([
      job.spawned_by === null
        ? Promise.resolve([] as RelatedRow[])
        : db.query<RelatedRow>(`select id, type_key, task_key, status from ${s}.jobs where id = $1`, [job.spawned_by]).then((r) => r.rows),
      db
        .query<RelatedRow>(`select id, type_key, task_key, status from ${s}.jobs where spawned_by = $1 order by id limit $2`, [
          id,
          spawnedLimit,
        ])
        .then((r) => r.rows),
      db.query<{ n: string }>(`select count(*) as n from ${s}.jobs where spawned_by = $1`, [id]).then((r) => Number(r.rows[0]?.n ?? 0)),
      job.waiting_for?.length
        ? db
            .query<RelatedRow>(`select id, type_key, task_key, status from ${s}.jobs where id = any ($1::bigint[]) order by id`, [
              job.waiting_for,
            ])
            .then((r) => r.rows)
        : Promise.resolve([] as RelatedRow[]),
      db.query<JobHistoryEntry>(`select at, status, node, pid, message from ${s}.job_history($1)`, [id]).then((r) => r.rows),
    ]);
    const parent = spawnedBy[0];
    const creation: JobHistoryEntry = {
      at: job.created_at,
      status: 'waiting',
      node: null,
      pid: null,
      message: parent ? `created by job ${parent.id} (${parent.type_key}.${parent.task_key})` : 'created',
    };
    return {
      id: String(job.id),
      task: `${job.type_key}.${job.task_key}`,
      typeKey: job.type_key,
      taskKey: job.task_key,
      status: job.status,
      priority: job.priority,
      arguments: shownJson(job.arguments),
      processUnits: job.process_units,
      attempts: job.attempts,
      maxAttempts: job.max_attempts,
      runAt: job.run_at,
      createdAt: job.created_at,
      startedAt: job.started_at,
      finishedAt: job.finished_at,
      node: job.node,
      pid: job.pid,
      message: job.message,
      result: shownJson(job.result),
      error: shownJson(job.error),
      cancelRequested: job.cancel_requested,
      spawnedBy: parent
        ? {
            ...related(parent),
            reason: parent.type_key === job.type_key && parent.task_key === job.task_key ? 'fan-out' : 'dependency',
          }
        : null,
      spawned: spawned.map(related),
      spawnedTotal,
      waitingFor: waitingFor.map(related),
      history: [creation, ...events],
    };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
