import { translateDatabaseError } from '../db/database-errors.js';
import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { UnknownWorkflowError } from '../errors.js';
import type { JsonType, JsonValue } from '../registry/task-definition.js';

/** One step of a deployed workflow. */
export interface DeployedWorkflowStep {
  id: string;
  /** `type_key.task_key` */
  task: string;
  requires: string[];
  /** Static arguments and `${{ ... }}` references, as declared. */
  args: Record<string, JsonValue>;
  priority: number;
}

/** A workflow as `jm deploy` synced it: what every door starts runs of. */
export interface DeployedWorkflow {
  name: string;
  description: string | null;
  params: { name: string; type: JsonType; required: boolean; default?: JsonValue }[];
  steps: DeployedWorkflowStep[];
  schedule: { cron: string; timeZone: string | null; catchUp: string } | null;
  sourceFile: string | null;
  updatedAt: Date;
}

interface StoredDefinition {
  description?: string | null;
  params?: { name: string; type: JsonType; required: boolean; default?: JsonValue }[];
  steps: { id: string; type_key: string; task_key: string; requires?: string[]; args?: Record<string, JsonValue>; priority?: number }[];
  schedule?: { cron: string; time_zone: string | null; catch_up: string } | null;
}

function toDeployed(row: { name: string; definition: StoredDefinition; source_file: string | null; updated_at: Date }): DeployedWorkflow {
  const d = row.definition;
  return {
    name: row.name,
    description: d.description ?? null,
    params: d.params ?? [],
    steps: d.steps.map((s) => ({
      id: s.id,
      task: `${s.type_key}.${s.task_key}`,
      requires: s.requires ?? [],
      args: s.args ?? {},
      priority: s.priority ?? 0,
    })),
    schedule: d.schedule ? { cron: d.schedule.cron, timeZone: d.schedule.time_zone, catchUp: d.schedule.catch_up } : null,
    sourceFile: row.source_file,
    updatedAt: row.updated_at,
  };
}

/** The deployed workflows, by name. */
export async function listDeployedWorkflows(db: Queryable, schema: string): Promise<DeployedWorkflow[]> {
  try {
    const { rows } = await db.query<{ name: string; definition: StoredDefinition; source_file: string | null; updated_at: Date }>(
      `select name, definition, source_file, updated_at from ${quoteSchema(schema)}.workflows order by name`,
    );
    return rows.map(toDeployed);
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}

/** One deployed workflow. Throws UnknownWorkflowError. */
export async function getDeployedWorkflow(db: Queryable, schema: string, name: string): Promise<DeployedWorkflow> {
  let rows: { name: string; definition: StoredDefinition; source_file: string | null; updated_at: Date }[];
  try {
    ({ rows } = await db.query(`select name, definition, source_file, updated_at from ${quoteSchema(schema)}.workflows where name = $1`, [
      name,
    ]));
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
  if (!rows[0]) throw new UnknownWorkflowError(name);
  return toDeployed(rows[0]);
}
