import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { InvalidArgumentsError } from '../errors.js';
import type { JsonValue } from '../registry/task-definition.js';

/** One job to put on the queue. */
export interface JobRequest {
  typeKey: string;
  taskKey: string;
  /** Named arguments; validated in the database against the deployed registry. */
  args?: Record<string, JsonValue>;
  /** Higher runs first. (Default: 0) */
  priority?: number;
  /** Not before this time. (Default: now) */
  runAt?: Date;
}

/** The outcome of one enqueue. */
export interface EnqueueResult {
  /** The job's id: new, or that of the identical job already waiting or running. */
  id: string;
  /** False when an identical waiting or running job was found instead. */
  inserted: boolean;
}

const INT32_MAX = 2_147_483_647;

function checkRequest(job: JobRequest): { args: string; priority: number; runAt: string | null } {
  const task = `${job.typeKey}.${job.taskKey}`;
  const priority = job.priority ?? 0;
  if (!Number.isInteger(priority) || Math.abs(priority) > INT32_MAX - 1) {
    throw new InvalidArgumentsError(`${task}: priority must be an integer between ${-(INT32_MAX - 1)} and ${INT32_MAX - 1}, got ${String(priority)}`);
  }
  // Whether it is an object is checked by the database, with the same message for every door.
  const args = job.args ?? {};
  let text: string;
  try {
    text = JSON.stringify(args);
  } catch (error) {
    throw new InvalidArgumentsError(`${task}: arguments are not JSON-serialisable (${(error as Error).message})`);
  }
  let runAt: string | null = null;
  if (job.runAt !== undefined) {
    if (!(job.runAt instanceof Date) || Number.isNaN(job.runAt.getTime())) {
      throw new InvalidArgumentsError(`${task}: runAt must be a valid Date`);
    }
    runAt = job.runAt.toISOString();
  }
  return { args: text, priority, runAt };
}

/**
 * Puts one job on the queue through the database's `enqueue` function, so it obeys exactly the
 * rules of `call insert_job(...)`. Pass a client inside your own transaction to make the job
 * exist only if that transaction commits.
 */
export async function enqueueJob(db: Queryable, schema: string, job: JobRequest): Promise<EnqueueResult> {
  const { args, priority, runAt } = checkRequest(job);
  try {
    const { rows } = await db.query<{ job_id: string; inserted: boolean }>(
      `select job_id, inserted from ${quoteSchema(schema)}.enqueue($1, $2, $3, $4::jsonb, $5::timestamptz)`,
      [job.typeKey, job.taskKey, priority, args, runAt],
    );
    const row = rows[0]!;
    return { id: String(row.job_id), inserted: row.inserted };
  } catch (error) {
    throw translateDatabaseError(error, { schema, typeKey: job.typeKey, taskKey: job.taskKey });
  }
}

/**
 * Puts many jobs on the queue in one round trip; all or none are inserted (a single invalid
 * job rejects the batch). Results are in the order of `jobs`.
 */
export async function enqueueJobs(db: Queryable, schema: string, jobs: JobRequest[]): Promise<EnqueueResult[]> {
  if (jobs.length === 0) return [];
  const payload = jobs.map((job) => {
    const { args, priority, runAt } = checkRequest(job);
    return { type_key: job.typeKey, task_key: job.taskKey, priority, arguments: JSON.parse(args) as unknown, run_at: runAt };
  });
  try {
    const { rows } = await db.query<{ job_id: string; inserted: boolean }>(
      `select job_id, inserted from ${quoteSchema(schema)}.enqueue_many($1::jsonb)`,
      [JSON.stringify(payload)],
    );
    return rows.map((r) => ({ id: String(r.job_id), inserted: r.inserted }));
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
