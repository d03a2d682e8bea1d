import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { carrierJson, traceEnqueue } from '../tracing/enqueue-span.js';
import { checkRequest, toResult, type EnqueueResult, type JobRequest, type ResultRow } from './enqueue-request.js';

/**
 * Puts one job on the queue through the database's `enqueue` function, so it obeys exactly the
 * rules of `call insert_job(...)`. With `jobKey`, a held key is resolved by `onConflict`
 * (`'raise'` throws `JobKeyConflictError`). Pass a client inside your own transaction to make the job
 * exist only if that transaction commits. With an OpenTelemetry SDK in the application, the
 * enqueue is a `send {task}` span whose trace context is stored with the job (see traceEnqueue).
 */
export async function enqueueJob(db: Queryable, schema: string, job: JobRequest): Promise<EnqueueResult> {
  const { args, priority, runAt, jobKey, onConflict } = checkRequest(job);
  return await traceEnqueue(
    () => [`${job.typeKey}.${job.taskKey}`],
    async (traceContext) => {
      try {
        const { rows } = await db.query<ResultRow>(
          `select job_id, inserted, outcome from ${quoteSchema(schema)}.enqueue($1, $2, $3, $4::jsonb, $5::timestamptz, null, $6, $7, $8::jsonb)`,
          [job.typeKey, job.taskKey, priority, args, runAt, jobKey, onConflict, carrierJson(traceContext)],
        );
        return toResult(rows[0]!);
      } catch (error) {
        throw translateDatabaseError(error, { schema, typeKey: job.typeKey, taskKey: job.taskKey });
      }
    },
    (result) => [result.id],
  );
}
