import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { formatCatchUp } from '../schedule/schedule-definition.js';
import { canonicalJson } from '../util/canonical-json.js';
import type { ResolvedWorkflow } from '../workflow/validate-workflows.js';

/** What a workflow sync changed, by workflow name. */
export interface WorkflowChanges {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
}

/** A workflow as stored in `<schema>.workflows.definition` (see 0010_workflows.sql). */
export function storedDefinition(workflow: ResolvedWorkflow): Record<string, unknown> {
  return {
    description: workflow.description,
    params: workflow.params.map((p) => ({
      name: p.name,
      type: p.type,
      required: p.required,
      ...(p.required ? {} : { default: p.default }),
    })),
    steps: workflow.steps.map((s) => ({
      id: s.id,
      type_key: s.typeKey,
      task_key: s.taskKey,
      requires: [...new Set(s.requires)],
      args: s.args,
      priority: s.priority,
    })),
    schedule: workflow.schedule && {
      cron: workflow.schedule.cron,
      time_zone: workflow.schedule.timeZone,
      catch_up: formatCatchUp(workflow.schedule.catchUp),
    },
  };
}

/**
 * Makes the deployed workflows equal `workflows` (already validated against the registry),
 * inside the deploy transaction. Runs in flight keep the definition they started with.
 */
export async function syncWorkflows(db: Queryable, schema: string, workflows: ResolvedWorkflow[]): Promise<WorkflowChanges> {
  const s = quoteSchema(schema);
  const { rows } = await db.query<{ name: string; definition: unknown; source_file: string | null }>(
    `select name, definition, source_file from ${s}.workflows`,
  );
  const stored = new Map(rows.map((r) => [r.name, r]));
  const changes: WorkflowChanges = { added: [], changed: [], removed: [], unchanged: 0 };
  for (const workflow of workflows) {
    const definition = storedDefinition(workflow);
    const before = stored.get(workflow.name);
    if (before && canonicalJson(before.definition) === canonicalJson(definition) && before.source_file === workflow.sourceFile) {
      changes.unchanged++;
      continue;
    }
    await db.query(
      `insert into ${s}.workflows (name, definition, source_file) values ($1, $2::jsonb, $3)
       on conflict (name) do update set definition = excluded.definition, source_file = excluded.source_file, updated_at = now()`,
      [workflow.name, JSON.stringify(definition), workflow.sourceFile],
    );
    (before ? changes.changed : changes.added).push(workflow.name);
  }
  const wanted = new Set(workflows.map((w) => w.name));
  for (const row of rows) {
    if (!wanted.has(row.name)) {
      await db.query(`delete from ${s}.workflows where name = $1`, [row.name]);
      changes.removed.push(row.name);
    }
  }
  return changes;
}
