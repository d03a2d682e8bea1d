import { isJobMasterError } from '../errors.js';
import { isOfType } from '../registry/json-values.js';
import type { JsonType, JsonValue } from '../registry/task-definition.js';
import { CronSchedule } from '../schedule/cron-expression.js';
import { parseCatchUp } from '../schedule/schedule-definition.js';
import type { WorkflowDefinition, WorkflowParam, WorkflowSchedule, WorkflowStep } from './workflow-definition.js';

/** A workflow as written: the document shape of workflow.schema.json (NUTS, SwissCAT or ours). */
export interface WorkflowDocument {
  name: string;
  description?: string;
  schedule?: string | null | { cron: string; timeZone?: string; catchUp?: string };
  params?: Record<string, JsonType | { type: JsonType; default?: JsonValue; description?: string }>;
  /** Steps in order: one without `requires` requires the step before it (a chain). */
  steps?: WorkflowStepDocument[];
  /** NUTS jobs: one without `requires` is a root. */
  jobs?: WorkflowStepDocument[];
}

/** A step as written: a task name alone, or an object. */
export type WorkflowStepDocument =
  | string
  | {
      id?: string;
      name?: string;
      task?: string;
      requires?: string | string[] | null;
      args?: Record<string, JsonValue>;
      priority?: number;
    };

/**
 * Turns one workflow document (already checked against the JSON Schema) into the internal
 * definition. Problems the schema cannot see (a cron expression that does not parse, a
 * default of the wrong type, a step with no task, a step list in both `steps` and `jobs`)
 * are returned as lines naming the workflow; the definition is returned only when there are none.
 */
export function normalizeWorkflow(
  doc: WorkflowDocument,
  sourceFile: string | null,
): { definition: WorkflowDefinition; problems: [] } | { definition: null; problems: string[] } {
  const where = `workflow ${JSON.stringify(doc.name)}${sourceFile ? ` (${sourceFile})` : ''}`;
  const problems: string[] = [];
  if (doc.steps && doc.jobs) problems.push(`${where}: give its steps under "steps" or "jobs", not both`);
  const list = doc.steps ?? doc.jobs ?? [];
  if (list.length === 0) problems.push(`${where}: has no steps`);
  const chain = doc.jobs === undefined;
  const steps: WorkflowStep[] = [];
  list.forEach((entry, index) => {
    const written = typeof entry === 'string' ? { task: entry } : entry;
    const task = written.task ?? written.name;
    const id = written.id ?? written.name ?? (task !== undefined ? task.slice(task.lastIndexOf('.') + 1) : undefined);
    if (task === undefined || id === undefined) {
      problems.push(`${where}: step ${index + 1} names no task (give "task", or "name" as NUTS does)`);
      return;
    }
    const requires =
      written.requires === undefined
        ? chain && index > 0
          ? [stepIdOf(list[index - 1]!)]
          : []
        : written.requires === null
          ? []
          : typeof written.requires === 'string'
            ? [written.requires]
            : [...written.requires];
    steps.push({ id, task, requires, args: structuredClone(written.args ?? {}), priority: written.priority ?? 0 });
  });
  const params: WorkflowParam[] = [];
  for (const [name, spec] of Object.entries(doc.params ?? {})) {
    const declared = typeof spec === 'string' ? { type: spec } : spec;
    if ('default' in declared && declared.default !== undefined) {
      if (!isOfType(declared.default, declared.type)) {
        problems.push(`${where}: parameter "${name}" is ${declared.type} but its default is ${JSON.stringify(declared.default)}`);
      }
      params.push({ name, type: declared.type, required: false, default: declared.default });
    } else {
      params.push({ name, type: declared.type, required: true });
    }
  }
  let schedule: WorkflowSchedule | null = null;
  if (doc.schedule !== undefined && doc.schedule !== null) {
    const written = typeof doc.schedule === 'string' ? { cron: doc.schedule } : doc.schedule;
    try {
      CronSchedule.parse(written.cron, written.timeZone);
      schedule = { cron: written.cron.trim(), timeZone: written.timeZone ?? null, catchUp: parseCatchUp(written.catchUp ?? 'latest') };
    } catch (error) {
      if (!isJobMasterError(error)) throw error;
      problems.push(`${where}: schedule: ${error.message}`);
    }
  }
  if (problems.length > 0) return { definition: null, problems };
  return { definition: { name: doc.name, description: doc.description ?? null, schedule, params, steps, sourceFile }, problems: [] };
}

function stepIdOf(entry: WorkflowStepDocument): string {
  const written = typeof entry === 'string' ? { task: entry } : entry;
  const task = written.task ?? written.name ?? '';
  return written.id ?? written.name ?? task.slice(task.lastIndexOf('.') + 1);
}
