import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import type { TaskDefinition } from '../registry/task-definition.js';
import { canonicalJson } from '../util/canonical-json.js';
import { readStoredTasks, toStoredTask, type StoredTask } from './registry-rows.js';

/** What a registry sync changed, by task name (`type.task`). */
export interface RegistryChanges {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
}

const nameOf = (t: { typeKey: string; taskKey: string }): string => `${t.typeKey}.${t.taskKey}`;

/**
 * Makes the database's tasks, parameters and dependencies equal the code's, writing only
 * tasks that differ. Runs inside the deploy transaction.
 */
export async function syncRegistry(db: Queryable, schema: string, definitions: TaskDefinition[]): Promise<RegistryChanges> {
  const s = quoteSchema(schema);
  const stored = new Map((await readStoredTasks(db, schema)).map((t) => [nameOf(t), t]));
  const wanted = new Map(definitions.map((d) => [nameOf(d), toStoredTask(d)]));

  const removed = [...stored.keys()].filter((name) => !wanted.has(name));
  const added: string[] = [];
  const changed: string[] = [];
  const toWrite: StoredTask[] = [];
  for (const [name, task] of wanted) {
    const before = stored.get(name);
    if (!before) added.push(name);
    else if (canonicalJson(normalise(before)) !== canonicalJson(normalise(task))) changed.push(name);
    else continue;
    toWrite.push(task);
  }

  for (const name of removed) {
    const t = stored.get(name)!;
    await db.query(`delete from ${s}.tasks where type_key = $1 and task_key = $2`, [t.typeKey, t.taskKey]);
  }
  // Tasks first: dependencies reference them.
  for (const t of toWrite) {
    await db.query(
      `insert into ${s}.tasks (type_key, task_key, process_units, write_all, max_attempts, retry_delay_seconds, description,
                               next_type_key, next_task_key)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       on conflict (type_key, task_key) do update
         set process_units = excluded.process_units, write_all = excluded.write_all, max_attempts = excluded.max_attempts,
             retry_delay_seconds = excluded.retry_delay_seconds, description = excluded.description,
             next_type_key = excluded.next_type_key, next_task_key = excluded.next_task_key`,
      [
        t.typeKey,
        t.taskKey,
        t.processUnits,
        t.writeAll,
        t.maxAttempts,
        t.retryDelaySeconds,
        t.description,
        t.next?.typeKey ?? null,
        t.next?.taskKey ?? null,
      ],
    );
    await db.query(`delete from ${s}.task_parameters where type_key = $1 and task_key = $2`, [t.typeKey, t.taskKey]);
    await db.query(`delete from ${s}.task_dependencies where type_key = $1 and task_key = $2`, [t.typeKey, t.taskKey]);
    for (const p of t.parameters) {
      await db.query(
        `insert into ${s}.task_parameters (type_key, task_key, name, position, json_type, required, default_value, select_from, help)
         values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9)`,
        [
          t.typeKey,
          t.taskKey,
          p.name,
          p.position,
          p.type,
          p.required,
          p.required ? null : JSON.stringify(p.default),
          p.selectFrom === null ? null : JSON.stringify(p.selectFrom),
          p.help,
        ],
      );
    }
  }
  for (const t of toWrite) {
    for (const [position, d] of t.dependencies.entries()) {
      await db.query(
        `insert into ${s}.task_dependencies (type_key, task_key, position, depends_on_type_key, depends_on_task_key, freshness, arguments)
         values ($1, $2, $3, $4, $5, make_interval(secs => $6), $7::jsonb)`,
        [t.typeKey, t.taskKey, position, d.typeKey, d.taskKey, d.freshnessSeconds, JSON.stringify(d.arguments)],
      );
    }
  }
  // Dependency checks read the latest completions of the tasks something depends on: start
  // recording those of a task that became a dependency, stop for one that no longer is.
  if (removed.length > 0 || toWrite.length > 0) await db.query(`select ${s}.track_completions()`);
  return { added, changed, removed, unchanged: wanted.size - added.length - changed.length };
}

// A required parameter stores no default; the database returns SQL null for it.
function normalise(task: StoredTask): StoredTask {
  return { ...task, parameters: task.parameters.map((p) => ({ ...p, default: p.required ? null : p.default })) };
}
