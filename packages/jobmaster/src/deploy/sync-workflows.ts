import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { notifyChannel } from '../db/schema-name.js';
import { InvalidScheduleError } from '../errors.js';
import { CronSchedule } from '../schedule/cron-expression.js';
import { formatCatchUp } from '../schedule/schedule-definition.js';
import { databaseNow } from '../schedule/schedule-store.js';
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
  await syncWorkflowSchedules(db, schema, workflows);
  return changes;
}

/** The name of the schedule that starts a workflow's runs, as `jm schedule list` shows it. */
export function workflowScheduleName(workflow: string): string {
  return `workflow:${workflow}`.slice(0, 200);
}

/**
 * Makes the schedules that start workflow runs equal the workflows' `schedule`s. A schedule
 * keeps its state (last tick, pause) while its expression and zone are unchanged; a new or
 * changed one starts from its next tick after now.
 */
async function syncWorkflowSchedules(db: Queryable, schema: string, workflows: ResolvedWorkflow[]): Promise<void> {
  const s = quoteSchema(schema);
  const { rows } = await db.query<{ name: string; workflow_name: string; cron: string; time_zone: string | null }>(
    `select name, workflow_name, cron, time_zone from ${s}.schedules where workflow_name is not null`,
  );
  const stored = new Map(rows.map((r) => [r.workflow_name, r]));
  const now = await databaseNow(db);
  let changed = false;
  for (const workflow of workflows) {
    const schedule = workflow.schedule;
    if (!schedule) continue;
    const before = stored.get(workflow.name);
    const restart = !before || before.cron !== schedule.cron || before.time_zone !== schedule.timeZone;
    let next: Date | null = null;
    if (restart) {
      try {
        next = CronSchedule.parseUpcoming(schedule.cron, schedule.timeZone, now).next(now);
      } catch (error) {
        throw new InvalidScheduleError(`workflow ${JSON.stringify(workflow.name)}: schedule: ${(error as Error).message}`, {
          cause: error,
        });
      }
      changed = true;
    }
    const written = await db.query(
      `insert into ${s}.schedules (name, source, workflow_name, cron, time_zone, catch_up, backfill_limit, next_fire_at)
       values ($1, 'code', $2, $3, $4, $5, $6, $7)
       on conflict (name) do update
         set workflow_name = excluded.workflow_name, type_key = null, task_key = null, arguments = '{}',
             cron = excluded.cron, time_zone = excluded.time_zone, catch_up = excluded.catch_up,
             backfill_limit = excluded.backfill_limit, updated_at = now(),
             next_fire_at = case when $8 then excluded.next_fire_at else ${s}.schedules.next_fire_at end
         where ${s}.schedules.workflow_name is not null`,
      [
        workflowScheduleName(workflow.name),
        workflow.name,
        schedule.cron,
        schedule.timeZone,
        schedule.catchUp.mode,
        schedule.catchUp.mode === 'backfill' ? schedule.catchUp.limit : null,
        next,
        restart,
      ],
    );
    if (written.rowCount === 0) {
      throw new InvalidScheduleError(
        `workflow ${JSON.stringify(workflow.name)}: its schedule's name ${JSON.stringify(workflowScheduleName(workflow.name))} is taken by a task's schedule: rename one`,
      );
    }
  }
  const scheduled = new Set(workflows.filter((w) => w.schedule).map((w) => w.name));
  for (const row of rows) {
    if (!scheduled.has(row.workflow_name)) await db.query(`delete from ${s}.schedules where name = $1`, [row.name]);
  }
  if (changed) await db.query('select pg_notify($1, $2)', [notifyChannel(schema), '']);
}
