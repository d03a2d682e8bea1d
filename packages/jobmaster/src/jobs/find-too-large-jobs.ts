import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';

/** A waiting job whose process units exceed the whole node budget: no worker on the node can run it. */
export interface TooLargeJob {
  id: string;
  task: string;
  processUnits: number;
}

/** Waiting jobs of these tasks whose units exceed `budget` (at most 100, by id). */
export async function findTooLargeJobs(
  db: Queryable,
  schema: string,
  tasks: ReadonlyArray<{ typeKey: string; taskKey: string }>,
  budget: number,
): Promise<TooLargeJob[]> {
  // Joined per task so the (type_key, task_key, status) index is used rather than a scan of all jobs.
  const { rows } = await db.query<{ id: string; task: string; process_units: number }>(
    `select j.id, j.type_key || '.' || j.task_key as task, j.process_units
       from unnest($2::text[], $3::text[]) t(type_key, task_key)
       join ${quoteSchema(schema)}.jobs j on j.type_key = t.type_key and j.task_key = t.task_key and j.status = 'waiting'
      where j.process_units > $1
      order by j.id limit 100`,
    [budget, tasks.map((t) => t.typeKey), tasks.map((t) => t.taskKey)],
  );
  return rows.map((r) => ({ id: String(r.id), task: r.task, processUnits: r.process_units }));
}
