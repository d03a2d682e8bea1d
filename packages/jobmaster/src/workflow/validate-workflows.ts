import { InvalidWorkflowError } from '../errors.js';
import { isOfType, jsonEquals } from '../registry/json-values.js';
import type { JsonValue, ParameterDefinition, TaskDefinition } from '../registry/task-definition.js';
import { findCycle } from './workflow-graph.js';
import { findReferences, isStatic } from './workflow-references.js';
import { MAX_WORKFLOW_STEPS, STEP_ID_PATTERN, type WorkflowDefinition, type WorkflowStep } from './workflow-definition.js';

/** A step whose task is known: what deploy stores and a run starts. */
export interface ResolvedWorkflowStep extends WorkflowStep {
  typeKey: string;
  taskKey: string;
}

/** A workflow checked against the registry, its steps' tasks resolved. */
export interface ResolvedWorkflow extends Omit<WorkflowDefinition, 'steps'> {
  steps: ResolvedWorkflowStep[];
}

/**
 * Checks workflows against the task registry and returns them with their tasks resolved.
 * Throws InvalidWorkflowError with one line per problem, each naming the workflow, the step
 * and the cause: unknown tasks, invalid or duplicate step ids, `requires` naming a missing
 * step, cycles (printed), orphans, references to an undeclared parameter or to a step that is
 * not upstream, static arguments that break the task's rules (the rules of every enqueue
 * door), required task parameters neither given nor referenced, scheduled workflows with
 * parameters that have no default.
 */
export function validateWorkflows(workflows: WorkflowDefinition[], tasks: TaskDefinition[]): ResolvedWorkflow[] {
  const problems: string[] = [];
  const resolved = workflows.map((w) => validateWorkflow(w, tasks, problems));
  const names = new Set<string>();
  for (const w of workflows) {
    if (names.has(w.name)) problems.push(`workflow ${JSON.stringify(w.name)} is declared twice`);
    names.add(w.name);
  }
  if (problems.length > 0) throw new InvalidWorkflowError(problems);
  return resolved;
}

function validateWorkflow(workflow: WorkflowDefinition, tasks: TaskDefinition[], problems: string[]): ResolvedWorkflow {
  const wf = `workflow ${JSON.stringify(workflow.name)}`;
  const at = (step: WorkflowStep): string => `${wf}, step ${JSON.stringify(step.id)}`;
  const steps: ResolvedWorkflowStep[] = [];
  if (workflow.steps.length > MAX_WORKFLOW_STEPS) {
    problems.push(`${wf}: has ${workflow.steps.length} steps; a workflow may have at most ${MAX_WORKFLOW_STEPS}`);
    return { ...workflow, steps: [] };
  }
  const ids = new Set<string>();
  for (const step of workflow.steps) {
    if (!STEP_ID_PATTERN.test(step.id)) {
      problems.push(`${at(step)}: a step id must be letters, digits, _ or -, starting with a letter or _ (set "id")`);
    }
    if (ids.has(step.id)) problems.push(`${at(step)}: step id is used twice (give one step a distinct "id")`);
    ids.add(step.id);
  }
  for (const step of workflow.steps) {
    for (const required of step.requires) {
      if (required === step.id) problems.push(`${at(step)}: requires itself`);
      else if (!ids.has(required)) problems.push(`${at(step)}: requires ${JSON.stringify(required)}, which is not a step of this workflow`);
    }
  }
  const cycle = findCycle(workflow.steps);
  if (cycle) problems.push(`${wf}: steps form a cycle: ${cycle.join(' -> ')}`);
  if (workflow.steps.length > 1) {
    const required = new Set(workflow.steps.flatMap((s) => s.requires));
    for (const step of workflow.steps) {
      if (step.requires.length === 0 && !required.has(step.id)) {
        problems.push(`${at(step)}: is an orphan: it requires no step and no step requires it`);
      }
    }
  }
  if (workflow.schedule) {
    for (const p of workflow.params) {
      if (p.required) problems.push(`${wf}: is scheduled, so parameter "${p.name}" needs a default (a tick gives no parameters)`);
    }
  }
  for (const step of workflow.steps) {
    const task = resolveTask(step.task, tasks);
    if (typeof task === 'string') {
      problems.push(`${at(step)}: ${task}`);
      continue;
    }
    steps.push({ ...step, typeKey: task.typeKey, taskKey: task.taskKey });
    checkArguments(workflow, step, task, upstreamOf(step.id, workflow.steps), (cause) => problems.push(`${at(step)}: ${cause}`));
  }
  return { ...workflow, steps };
}

/** Finds the task a step names: `type.task`, or a task key alone when exactly one task has it. */
export function resolveTask(name: string, tasks: TaskDefinition[]): TaskDefinition | string {
  const exact = tasks.find((t) => `${t.typeKey}.${t.taskKey}` === name);
  if (exact) return exact;
  const byKey = tasks.filter((t) => t.taskKey === name);
  if (byKey.length === 1) return byKey[0]!;
  if (byKey.length > 1) {
    return `task ${JSON.stringify(name)} is ambiguous: write one of ${byKey.map((t) => `${t.typeKey}.${t.taskKey}`).join(', ')}`;
  }
  return `unknown task ${JSON.stringify(name)} ("jm tasks" lists the registered tasks)`;
}

/** Every step that must complete before `id` starts (its requirements, transitively). */
export function upstreamOf(id: string, steps: WorkflowStep[]): Set<string> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const stack = [...(byId.get(id)?.requires ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(byId.get(next)?.requires ?? []));
  }
  return seen;
}

function checkArguments(
  workflow: WorkflowDefinition,
  step: WorkflowStep,
  task: TaskDefinition,
  upstream: Set<string>,
  report: (cause: string) => void,
): void {
  const name = `${task.typeKey}.${task.taskKey}`;
  const params = new Map(task.parameters.map((p) => [p.name, p]));
  for (const [arg, value] of Object.entries(step.args)) {
    const param = params.get(arg);
    if (!param) {
      report(`${name} has no parameter "${arg}"`);
      continue;
    }
    if (isStatic(value)) {
      const broken = breaksRules(param, value, task.writeAll.includes(arg));
      if (broken) report(`${name}: ${broken}`);
    }
  }
  for (const { arg, ref, whole } of findReferences(step.args)) {
    if (typeof ref === 'string') {
      report(`argument "${arg}": ${ref}`);
    } else if (ref.kind === 'param') {
      const declared = workflow.params.find((p) => p.name === ref.name);
      if (!declared) report(`argument "${arg}": ${ref.text} names no parameter of the workflow (declare it under "params")`);
      else if (whole && ref.path.length === 0 && params.has(arg) && !typeFits(declared.type, params.get(arg)!.type)) {
        report(`argument "${arg}": ${ref.text} is ${declared.type} but ${name} takes ${params.get(arg)!.type}`);
      }
    } else if (!upstream.has(ref.step)) {
      const exists = workflow.steps.some((s) => s.id === ref.step);
      report(
        `argument "${arg}": ${ref.text} names ${exists ? 'a step that is not upstream (add it to "requires")' : 'no step of this workflow'}`,
      );
    }
  }
  for (const p of task.parameters) {
    if (p.required && !(p.name in step.args)) report(`${name} requires parameter "${p.name}", which is neither given nor referenced`);
  }
}

function typeFits(given: string, wanted: string): boolean {
  return given === wanted || (given === 'integer' && wanted === 'number');
}

/** Why a step cannot take "ALL" (the same words as workflow_start_step.sql for a value referenced at run time). */
const STEP_FAN_OUT = 'a workflow step cannot fan out (its run would not wait for the fanned-out jobs); declare a step for each value';

/** The enqueue rules for one static value (prepare_arguments.sql): type, select-from, "ALL" (never in a step). */
function breaksRules(param: ParameterDefinition, value: JsonValue, writeAll: boolean): string | null {
  const shown = JSON.stringify(value).slice(0, 60);
  if (value === 'ALL' && writeAll) return `parameter "${param.name}" is "ALL": ${STEP_FAN_OUT}`;
  if (value === null && !param.required && param.default === null) return null;
  if (value === 'ALL' && (param.type !== 'string' || param.selectFrom !== null) && !param.selectFrom?.includes('ALL')) {
    return `"ALL" is only allowed for write-all parameters, and "${param.name}" is not one`;
  }
  if (!isOfType(value, param.type)) {
    const article = ['integer', 'array', 'object'].includes(param.type) ? 'an' : 'a';
    return `parameter "${param.name}" must be ${article} ${param.type}, got ${shown}`;
  }
  if (param.selectFrom && !param.selectFrom.some((v) => jsonEquals(v, value))) {
    return `parameter "${param.name}" must be one of ${param.selectFrom.map((v) => JSON.stringify(v)).join(', ')}, got ${shown}`;
  }
  return null;
}
