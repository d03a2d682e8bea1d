import { translateDatabaseError } from '../db/database-errors.js';
import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import type { DependencyArgument } from '../registry/task-definition.js';
import { listDeployedWorkflows } from '../workflow/deployed-workflows.js';
import type { TaskGraph } from './task-graph.js';

/**
 * The graph as `jm deploy` synced it into the schema: what every worker, door and the
 * dashboard sees, whatever code the caller has loaded. Tasks in name order, dependencies in
 * the order each task declares them, workflows by name.
 */
export async function readDeployedTaskGraph(db: Queryable, schema: string): Promise<TaskGraph> {
  const s = quoteSchema(schema);
  try {
    const [tasks, dependencies, chains, workflows] = await Promise.all([
      db.query<{ type_key: string; task_key: string; description: string | null; process_units: number; write_all: string[] }>(
        `select type_key, task_key, description, process_units, write_all from ${s}.tasks order by type_key, task_key`,
      ),
      db.query<{ from_task: string; to_task: string; hours: number; arguments: Record<string, DependencyArgument> }>(
        `select d.depends_on_type_key || '.' || d.depends_on_task_key as from_task, d.type_key || '.' || d.task_key as to_task,
                extract(epoch from d.freshness)::float8 / 3600 as hours, d.arguments
           from ${s}.task_dependencies d order by d.type_key, d.task_key, d.position`,
      ),
      db.query<{ from_task: string; to_task: string }>(
        `select type_key || '.' || task_key as from_task, next_type_key || '.' || next_task_key as to_task
           from ${s}.tasks where next_task_key is not null order by type_key, task_key`,
      ),
      listDeployedWorkflows(db, schema),
    ]);
    return {
      source: 'deployed',
      focus: null,
      tasks: tasks.rows.map((r) => ({
        task: `${r.type_key}.${r.task_key}`,
        typeKey: r.type_key,
        taskKey: r.task_key,
        description: r.description,
        processUnits: r.process_units,
        writeAll: r.write_all,
      })),
      dependencies: dependencies.rows.map((r) => ({ from: r.from_task, to: r.to_task, hours: r.hours, arguments: r.arguments })),
      chains: chains.rows.map((r) => ({ from: r.from_task, to: r.to_task })),
      workflows: workflows.map((w) => ({
        name: w.name,
        description: w.description,
        schedule: w.schedule?.cron ?? null,
        params: w.params,
        steps: w.steps.map((st) => ({ id: st.id, task: st.task, requires: st.requires })),
      })),
    };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
