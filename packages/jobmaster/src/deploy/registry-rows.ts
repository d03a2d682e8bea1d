import type { TaskDefinition } from '../registry/task-definition.js';
import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';

/** A task as stored in the database's registry tables; code and database compare through this shape. */
export interface StoredTask {
  typeKey: string;
  taskKey: string;
  processUnits: number;
  writeAll: string[];
  maxAttempts: number;
  retryDelaySeconds: number;
  description: string | null;
  parameters: Array<{
    name: string;
    position: number;
    type: string;
    required: boolean;
    default: unknown;
    selectFrom: unknown[] | null;
    help: string | null;
  }>;
  dependencies: Array<{ typeKey: string; taskKey: string; freshnessSeconds: number; arguments: unknown }>;
  /** The next task (`@task({ next })`), or null. */
  next: { typeKey: string; taskKey: string } | null;
}

/** The stored shape of a task defined in code. */
export function toStoredTask(def: TaskDefinition): StoredTask {
  return {
    typeKey: def.typeKey,
    taskKey: def.taskKey,
    processUnits: def.processUnits,
    writeAll: [...def.writeAll],
    maxAttempts: def.retries + 1,
    retryDelaySeconds: def.retryDelaySeconds,
    description: def.description,
    parameters: def.parameters.map((p) => ({
      name: p.name,
      position: p.position,
      type: p.type,
      required: p.required,
      default: p.required ? null : (p.default ?? null),
      selectFrom: p.selectFrom,
      help: p.help,
    })),
    dependencies: def.dependencies.map((d) => ({
      typeKey: d.typeKey,
      taskKey: d.taskKey,
      freshnessSeconds: Math.round(d.hours * 3600),
      arguments: d.arguments,
    })),
    next: def.next ? { typeKey: def.next.typeKey, taskKey: def.next.taskKey } : null,
  };
}

/** Reads the registry currently stored in a deployed schema. */
export async function readStoredTasks(db: Queryable, schema: string): Promise<StoredTask[]> {
  const s = quoteSchema(schema);
  const { rows } = await db.query<{ task: StoredTask }>(`
    select jsonb_build_object(
      'typeKey', t.type_key, 'taskKey', t.task_key, 'processUnits', t.process_units,
      'writeAll', to_jsonb(t.write_all), 'maxAttempts', t.max_attempts,
      'retryDelaySeconds', t.retry_delay_seconds, 'description', t.description,
      'parameters', coalesce((
        select jsonb_agg(jsonb_build_object(
                 'name', p.name, 'position', p.position, 'type', p.json_type, 'required', p.required,
                 'default', p.default_value, 'selectFrom', p.select_from, 'help', p.help) order by p.position)
          from ${s}.task_parameters p where p.type_key = t.type_key and p.task_key = t.task_key), '[]'),
      'dependencies', coalesce((
        select jsonb_agg(jsonb_build_object(
                 'typeKey', d.depends_on_type_key, 'taskKey', d.depends_on_task_key,
                 'freshnessSeconds', extract(epoch from d.freshness)::bigint, 'arguments', d.arguments) order by d.position)
          from ${s}.task_dependencies d where d.type_key = t.type_key and d.task_key = t.task_key), '[]'),
      'next', case when t.next_task_key is not null
                   then jsonb_build_object('typeKey', t.next_type_key, 'taskKey', t.next_task_key) end
    ) as task
    from ${s}.tasks t
    order by t.type_key, t.task_key`);
  return rows.map((r) => r.task);
}
