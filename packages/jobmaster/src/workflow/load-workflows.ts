import { InvalidWorkflowError, isJobMasterError } from '../errors.js';
import type { TaskDefinition } from '../registry/task-definition.js';
import { declaredWorkflows } from './define-workflow.js';
import { loadWorkflowFiles } from './load-workflow-files.js';
import { validateWorkflows, type ResolvedWorkflow } from './validate-workflows.js';

/**
 * Every workflow of a project: those in the files matching `patterns` (none when empty) and
 * those declared in code with `defineWorkflow` (load the task modules first), checked against
 * the registry `tasks`. Throws InvalidWorkflowError with one line per problem, reading and
 * registry problems together.
 */
export async function loadWorkflows(patterns: string[], options: { cwd: string; tasks: TaskDefinition[] }): Promise<ResolvedWorkflow[]> {
  const problems: string[] = [];
  let fromFiles: Awaited<ReturnType<typeof loadWorkflowFiles>> = [];
  if (patterns.length > 0) {
    try {
      fromFiles = await loadWorkflowFiles(patterns, { cwd: options.cwd });
    } catch (error) {
      if (!isJobMasterError(error) || !(error instanceof InvalidWorkflowError)) throw error;
      problems.push(...error.problems);
    }
  }
  const all = [...fromFiles, ...declaredWorkflows().values()];
  try {
    const resolved = validateWorkflows(all, options.tasks);
    if (problems.length > 0) throw new InvalidWorkflowError(problems);
    return resolved.sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    if (!(error instanceof InvalidWorkflowError)) throw error;
    throw new InvalidWorkflowError([...problems, ...error.problems.filter((p) => !problems.includes(p))]);
  }
}
