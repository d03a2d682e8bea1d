import type { Queryable } from '../db/queryable.js';
import { validateSchemaName } from '../db/schema-name.js';
import { operatorValues, translateOperationError, type Operator } from './operator.js';
import { queryTools } from './query-builder.js';
import { toRetryOutcome, type RetryOutcome } from './retry-jobs.js';

/** Which failed jobs `retryFailedJobs` puts back. */
export interface RetryFailedFilter {
  /** Only this task's failed jobs. (Default: every task) */
  task?: { typeKey: string; taskKey: string };
}

/** Puts every failed job (of one task, if given) back on the queue, as `retryJobs` does. */
export async function retryFailedJobs(
  db: Queryable,
  schema: string,
  filter: RetryFailedFilter = {},
  operator?: Operator,
): Promise<RetryOutcome[]> {
  const { task } = filter;
  const { inSchema, sql, run } = await queryTools();
  const q = inSchema(schema);
  const failed = q
    .selectFrom('jobs as j')
    .select('j.id')
    .where('j.status', '=', sql.lit('failed'))
    .$if(task !== undefined, (qb) => qb.where('j.type_key', '=', task!.typeKey).where('j.task_key', '=', task!.taskKey));
  const [node, pid] = operatorValues(operator);
  try {
    const rows = await run(
      db,
      sql<Parameters<typeof toRetryOutcome>[0]>`select id, status, outcome, twin_id
        from ${sql.id(validateSchemaName(schema), 'retry_jobs')}(array${failed}, ${node}, ${pid})`,
    );
    return rows.map(toRetryOutcome);
  } catch (error) {
    throw translateOperationError(error, schema);
  }
}
