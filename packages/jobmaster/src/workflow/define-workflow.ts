import { InvalidWorkflowError } from '../errors.js';
import { callerFile } from '../registry/source-location.js';
import { registry } from '../registry/task-registry.js';
import type { JsonType, JsonValue } from '../registry/task-definition.js';
import { normalizeWorkflow, type WorkflowDocument } from './normalize-workflow.js';
import type { WorkflowDefinition } from './workflow-definition.js';
import { checkWorkflowDocument } from './workflow-schema.js';

/** One step of {@link defineWorkflow}: as in a file, and `task` may be a registered task function. */
export interface WorkflowStepDeclaration {
  /** Step id. (Default: the task key) */
  id?: string;
  /** `type.task`, a task key naming one task, or a function registered with `@task`/`defineTask`. */
  task: string | ((...args: never[]) => unknown);
  /** Step ids that must complete first; null or [] for a root. (Default: the step before, as in a file's `steps`) */
  requires?: string | string[] | null;
  /** Arguments; strings may hold `${{ params.x }}` or `${{ steps.a.result.path }}`. (Default: {}) */
  args?: Record<string, JsonValue>;
  /** Priority of the step's job. (Default: 0) */
  priority?: number;
}

/** A workflow declared in TypeScript, with the same shape and rules as a workflow file's `workflow`. */
export interface WorkflowDeclaration {
  name: string;
  description?: string;
  /** Cron expression, or {cron, timeZone, catchUp}. (Default: none) */
  schedule?: string | { cron: string; timeZone?: string; catchUp?: string };
  /** Parameters a run takes: name -> JSON type, or {type, default}. (Default: {}) */
  params?: Record<string, JsonType | { type: JsonType; default?: JsonValue }>;
  steps: WorkflowStepDeclaration[];
}

const WORKFLOWS_KEY = Symbol.for('jobmaster.workflows');

/** The workflows declared in code in this process, by name (shared across copies of the package). */
export function declaredWorkflows(): Map<string, WorkflowDefinition> {
  const holder = globalThis as unknown as Record<symbol, Map<string, WorkflowDefinition> | undefined>;
  return (holder[WORKFLOWS_KEY] ??= new Map());
}

/**
 * Declares a workflow in TypeScript. It is checked against the workflow JSON Schema now, and
 * against the registry (tasks, steps, references, arguments) by `jm deploy` and
 * `jm workflows --check`, like a workflow file. Throws InvalidWorkflowError (one line per problem).
 * Returns the definition in its internal shape.
 */
export function defineWorkflow(declaration: WorkflowDeclaration): WorkflowDefinition {
  const steps = (declaration.steps ?? []).map((s) => {
    if (typeof s?.task !== 'function') return s;
    const keys = registry.keysOf(s.task);
    if (!keys) {
      throw new InvalidWorkflowError([
        `workflow ${JSON.stringify(declaration.name)}: a step's task function is not a registered task (decorate it with @task or wrap it in defineTask)`,
      ]);
    }
    return { ...s, task: `${keys.typeKey}.${keys.taskKey}` };
  });
  const document = { ...declaration, steps } as WorkflowDocument;
  const problem = checkWorkflowDocument({ workflow: document });
  if (problem !== null) throw new InvalidWorkflowError([`workflow ${JSON.stringify(declaration.name)}: ${problem}`]);
  const source = callerFile();
  const result = normalizeWorkflow(document, source);
  if (!result.definition) throw new InvalidWorkflowError(result.problems);
  const existing = declaredWorkflows().get(result.definition.name);
  if (existing && existing.sourceFile !== source) {
    throw new InvalidWorkflowError([
      `workflow ${JSON.stringify(result.definition.name)} is declared twice, in ${existing.sourceFile} and in ${source}`,
    ]);
  }
  declaredWorkflows().set(result.definition.name, result.definition);
  return result.definition;
}
