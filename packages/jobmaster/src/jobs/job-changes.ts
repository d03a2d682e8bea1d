import type { Queryable } from '../db/queryable.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { quoteSchema } from '../db/schema-name.js';
import type { JobStatus } from './job-status.js';

/** A job's state change: a new job (status waiting) or a row of its history. */
export interface JobChange {
  jobId: string;
  /** `type_key.task_key` */
  task: string;
  status: JobStatus;
  at: Date;
  message: string | null;
  /** The workflow run the job is a step of, or null. */
  runId: string | null;
}

/** Where a reader of changes has got to: the newest history row, job and start it has seen. */
export interface ChangeCursor {
  eventId: string;
  jobId: string;
  /** The latest start of a running job seen (ISO time). */
  startedAt: string;
  /** The latest completion seen (ISO time). */
  completedAt: string;
}

/**
 * Starts are read again this far back: a claim's started_at is its transaction's start, so a
 * claim committing after a read can carry an earlier time than starts already seen. Readers
 * drop the repeats (same job, status and time).
 */
export const START_OVERLAP_MS = 5_000;

/** The cursor of "now": changes after it are those that happen from here on. */
export async function currentChangeCursor(db: Queryable, schema: string): Promise<ChangeCursor> {
  const s = quoteSchema(schema);
  try {
    const { rows } = await db.query<{ event_id: string; job_id: string; now: Date }>(
      `select coalesce((select max(id) from ${s}.job_events), 0) as event_id, coalesce((select max(id) from ${s}.jobs), 0) as job_id, now() as now`,
    );
    return {
      eventId: String(rows[0]!.event_id),
      jobId: String(rows[0]!.job_id),
      startedAt: rows[0]!.now.toISOString(),
      completedAt: rows[0]!.now.toISOString(),
    };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}

/**
 * Job state changes after a cursor, oldest first, at most `limit` (Default: 500) of each kind:
 * jobs created since (through the primary key), history rows since (through theirs), starts
 * of jobs running now and completions (workers record both in the job's row, not its history:
 * read among the running jobs, and through the finished-at index; each again for
 * START_OVERLAP_MS, so a reader may see one twice). Returns the changes and the cursor to read from next.
 */
export async function readJobChanges(
  db: Queryable,
  schema: string,
  after: ChangeCursor,
  limit = 500,
): Promise<{ changes: JobChange[]; cursor: ChangeCursor }> {
  const s = quoteSchema(schema);
  try {
    const [created, events, started, completed] = await Promise.all([
      db.query<{ id: string; type_key: string; task_key: string; created_at: Date; run_id: string | null }>(
        `select j.id, j.type_key, j.task_key, j.created_at, j.workflow_run_id as run_id from ${s}.jobs j where j.id > $1::bigint order by j.id limit $2`,
        [after.jobId, limit],
      ),
      db.query<{
        id: string;
        job_id: string;
        type_key: string;
        task_key: string;
        status: JobStatus;
        at: Date;
        message: string | null;
        run_id: string | null;
      }>(
        `select e.id, e.job_id, j.type_key, j.task_key, e.status, e.at, e.message, j.workflow_run_id as run_id
           from ${s}.job_events e join ${s}.jobs j on j.id = e.job_id
          where e.id > $1::bigint order by e.id limit $2`,
        [after.eventId, limit],
      ),
      db.query<{ id: string; type_key: string; task_key: string; started_at: Date; run_id: string | null }>(
        `select j.id, j.type_key, j.task_key, j.started_at, j.workflow_run_id as run_id from ${s}.jobs j
          where j.status = 'running' and j.started_at > $1::timestamptz - $2::int * interval '1 millisecond'
          order by j.started_at limit $3`,
        [after.startedAt, START_OVERLAP_MS, limit],
      ),
      db.query<{ id: string; type_key: string; task_key: string; finished_at: Date; message: string | null; run_id: string | null }>(
        `select j.id, j.type_key, j.task_key, j.finished_at, j.message, j.workflow_run_id as run_id from ${s}.jobs j
          where j.finished_at > $1::timestamptz - $2::int * interval '1 millisecond' and j.status = 'complete'
          order by j.finished_at limit $3`,
        [after.completedAt, START_OVERLAP_MS, limit],
      ),
    ]);
    const changes: JobChange[] = [
      ...created.rows.map((r) => ({
        jobId: String(r.id),
        task: `${r.type_key}.${r.task_key}`,
        status: 'waiting' as const,
        at: r.created_at,
        message: 'created',
        runId: r.run_id === null ? null : String(r.run_id),
      })),
      ...events.rows.map((r) => ({
        jobId: String(r.job_id),
        task: `${r.type_key}.${r.task_key}`,
        status: r.status,
        at: r.at,
        message: r.message,
        runId: r.run_id === null ? null : String(r.run_id),
      })),
      ...started.rows.map((r) => ({
        jobId: String(r.id),
        task: `${r.type_key}.${r.task_key}`,
        status: 'running' as const,
        at: r.started_at,
        message: 'started',
        runId: r.run_id === null ? null : String(r.run_id),
      })),
      ...completed.rows.map((r) => ({
        jobId: String(r.id),
        task: `${r.type_key}.${r.task_key}`,
        status: 'complete' as const,
        at: r.finished_at,
        message: r.message,
        runId: r.run_id === null ? null : String(r.run_id),
      })),
    ].sort((a, b) => a.at.getTime() - b.at.getTime());
    const lastJob = created.rows[created.rows.length - 1];
    const lastEvent = events.rows[events.rows.length - 1];
    const lastStart = started.rows[started.rows.length - 1]?.started_at.toISOString();
    const lastCompletion = completed.rows[completed.rows.length - 1]?.finished_at.toISOString();
    return {
      changes,
      cursor: {
        jobId: lastJob ? String(lastJob.id) : after.jobId,
        eventId: lastEvent ? String(lastEvent.id) : after.eventId,
        startedAt: lastStart && lastStart > after.startedAt ? lastStart : after.startedAt,
        completedAt: lastCompletion && lastCompletion > after.completedAt ? lastCompletion : after.completedAt,
      },
    };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
