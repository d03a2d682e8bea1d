import type { Queryable } from '../db/queryable.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { quoteSchema } from '../db/schema-name.js';
import type { JsonType, JsonValue } from '../registry/task-definition.js';

/** One parameter of a deployed task's signature. */
export interface RegisteredParameter {
  name: string;
  type: JsonType;
  required: boolean;
  default: JsonValue | null;
  selectFrom: JsonValue[] | null;
  help: string | null;
}

/** A task as deployed in the database, with its signature and what it depends on. */
export interface RegisteredTask {
  /** `type_key.task_key` */
  task: string;
  typeKey: string;
  taskKey: string;
  description: string | null;
  processUnits: number;
  writeAll: string[];
  maxAttempts: number;
  parameters: RegisteredParameter[];
  /** Tasks that must have completed before this one runs (`type.task`). */
  dependsOn: string[];
}

/**
 * The deployed registry as the database holds it (what `jm deploy` synced), tasks in name
 * order with their parameters in declaration order.
 */
export async function listRegisteredTasks(db: Queryable, schema: string): Promise<RegisteredTask[]> {
  const s = quoteSchema(schema);
  try {
    const { rows } = await db.query<{
      type_key: string;
      task_key: string;
      description: string | null;
      process_units: number;
      write_all: string[];
      max_attempts: number;
      parameters: RegisteredParameter[];
      depends_on: string[];
    }>(
      `select t.type_key, t.task_key, t.description, t.process_units, t.write_all, t.max_attempts,
              coalesce((select json_agg(json_build_object('name', p.name, 'type', p.json_type, 'required', p.required,
                                                          'default', p.default_value, 'selectFrom', p.select_from, 'help', p.help)
                                        order by p.position)
                          from ${s}.task_parameters p where p.type_key = t.type_key and p.task_key = t.task_key), '[]') as parameters,
              coalesce((select array_agg(d.depends_on_type_key || '.' || d.depends_on_task_key order by d.position)
                          from ${s}.task_dependencies d where d.type_key = t.type_key and d.task_key = t.task_key), '{}') as depends_on
         from ${s}.tasks t
        order by t.type_key, t.task_key`,
    );
    return rows.map((r) => ({
      task: `${r.type_key}.${r.task_key}`,
      typeKey: r.type_key,
      taskKey: r.task_key,
      description: r.description,
      processUnits: r.process_units,
      writeAll: r.write_all,
      maxAttempts: r.max_attempts,
      parameters: r.parameters,
      dependsOn: r.depends_on,
    }));
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
