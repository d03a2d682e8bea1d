import type { Queryable } from '../db/queryable.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { quoteSchema } from '../db/schema-name.js';
import { UnknownTaskError } from '../errors.js';

/**
 * Fails with `UnknownTaskError` unless the task is registered or still has jobs (a task no
 * longer registered is known while it has jobs). The filters of `jm status`, `jm retry` and
 * `jm prune` name tasks through this. Waiting, running and finished jobs are each looked for
 * through their own index, not by reading the whole table.
 */
export async function requireKnownTask(db: Queryable, schema: string, task: { typeKey: string; taskKey: string }): Promise<void> {
  const s = quoteSchema(schema);
  let known: boolean;
  try {
    const { rows } = await db.query<{ known: boolean }>(
      `select exists (select 1 from ${s}.tasks t where t.type_key = $1 and t.task_key = $2)
            or exists (select 1 from ${s}.jobs j where j.type_key = $1 and j.task_key = $2 and j.status = 'waiting')
            or exists (select 1 from ${s}.jobs j where j.type_key = $1 and j.task_key = $2 and j.status = 'running')
            or exists (select 1 from ${s}.jobs j
                        where j.type_key = $1 and j.task_key = $2 and j.finished_at is not null) as known`,
      [task.typeKey, task.taskKey],
    );
    known = rows[0]!.known;
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
  if (!known) throw new UnknownTaskError(task.typeKey, task.taskKey);
}
