import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTaskModules } from '../../packages/jobmaster/src/loader/index.js';
import { registry } from '../../packages/jobmaster/src/registry/index.js';
import type { TaskDefinition } from '../../packages/jobmaster/src/registry/task-definition.js';
import { normalizeWorkflow, type WorkflowDocument } from '../../packages/jobmaster/src/workflow/normalize-workflow.js';
import type { WorkflowDefinition } from '../../packages/jobmaster/src/workflow/workflow-definition.js';

/** The workflow fixtures: ETL tasks (tasks/etl.ts) and workflow files (files/). */
export const WORKFLOW_FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/workflow');
export const ETL_TASKS = path.join(WORKFLOW_FIXTURES, 'tasks/etl.ts');
export const WORKFLOW_FILES = path.join(WORKFLOW_FIXTURES, 'files/*');

/** Loads the ETL fixture tasks (and the workflow they declare in code) and returns the registry. */
export async function etlTasks(): Promise<TaskDefinition[]> {
  await loadTaskModules([ETL_TASKS], { cwd: WORKFLOW_FIXTURES });
  return registry.definitions();
}

/** A workflow document normalised as a file's would be; throws when the document itself is wrong. */
export function workflow(doc: WorkflowDocument): WorkflowDefinition {
  const result = normalizeWorkflow(doc, null);
  if (!result.definition) throw new Error(result.problems.join('\n'));
  return result.definition;
}
