import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { checkRequest, toResult, type EnqueueResult, type JobRequest, type ResultRow } from './enqueue-request.js';

/**
 * Puts one job on the queue through the database's `enqueue` function, so it obeys exactly the
 * rules of `call insert_job(...)`. With `jobKey`, a held key is resolved by `onConflict`
 * (`'raise'` throws `JobKeyConflictError`). Pass a client inside your own transaction to make the job
 * exist only if that transaction commits.
 */
export async function enqueueJob(db: Queryable, schema: string, job: JobRequest): Promise<EnqueueResult> {
  const { args, priority, runAt, jobKey, onConflict } = checkRequest(job);
  try {
    const { rows } = await db.query<ResultRow>(
      `select job_id, inserted, outcome from ${quoteSchema(schema)}.enqueue($1, $2, $3, $4::jsonb, $5::timestamptz, null, $6, $7)`,
      [job.typeKey, job.taskKey, priority, args, runAt, jobKey, onConflict],
    );
    return toResult(rows[0]!);
  } catch (error) {
    throw translateDatabaseError(error, { schema, typeKey: job.typeKey, taskKey: job.taskKey });
  }
}
