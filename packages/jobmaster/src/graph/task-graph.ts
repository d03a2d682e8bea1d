import type { DependencyArgument, JsonValue, TaskDefinition } from '../registry/task-definition.js';
import type { ResolvedWorkflow } from '../workflow/validate-workflows.js';

/** One task of the graph: its name and what limits or multiplies its jobs. */
export interface TaskGraphTask {
  /** `type_key.task_key` */
  task: string;
  typeKey: string;
  taskKey: string;
  description: string | null;
  /** Process units one job takes on its node. */
  processUnits: number;
  /** Parameters that accept "ALL" to fan out over their select-from values. */
  writeAll: string[];
}

/** A dependency edge: `to` needs a job of `from` completed within `hours`, with these arguments. */
export interface TaskGraphDependency {
  /** The dependency (runs first), `type_key.task_key`. */
  from: string;
  /** The dependent task, `type_key.task_key`. */
  to: string;
  /** The freshness window in hours. */
  hours: number;
  /** The dependency job's arguments, keyed by the dependency's parameter names. */
  arguments: Record<string, DependencyArgument>;
}

/** A chain (`@task({ next })`): a completed job of `from` enqueues `to` with its result as the arguments. */
export interface TaskGraphChain {
  /** `type_key.task_key` */
  from: string;
  /** The next task, `type_key.task_key`. */
  to: string;
}

/** One step of a workflow in the graph. */
export interface TaskGraphStep {
  id: string;
  /** `type_key.task_key` */
  task: string;
  requires: string[];
}

/** A workflow in the graph: its steps as a DAG. */
export interface TaskGraphWorkflow {
  name: string;
  description: string | null;
  /** The cron expression that starts runs, or null. */
  schedule: string | null;
  params: { name: string; type: string; required: boolean; default?: JsonValue }[];
  steps: TaskGraphStep[];
}

/**
 * The registry as a picture's data: tasks as nodes, dependencies as edges (dependency →
 * dependent, the order they run in), and the workflows, each a DAG of steps.
 */
export interface TaskGraph {
  /** Where it was read: the task modules and workflow files ('code') or what `jm deploy` synced ('deployed'). */
  source: 'code' | 'deployed';
  /** The task the graph was narrowed to (its upstream and downstream), or null for the whole registry. */
  focus: string | null;
  tasks: TaskGraphTask[];
  dependencies: TaskGraphDependency[];
  /** Next-task chains, drawn as edges of their own kind (from → next). */
  chains: TaskGraphChain[];
  workflows: TaskGraphWorkflow[];
}

/** The graph of the registry in code (loaded task modules) and its validated workflows. */
export function taskGraphFromCode(definitions: TaskDefinition[], workflows: ResolvedWorkflow[]): TaskGraph {
  const name = (typeKey: string, taskKey: string): string => `${typeKey}.${taskKey}`;
  const sorted = [...definitions].sort((a, b) => name(a.typeKey, a.taskKey).localeCompare(name(b.typeKey, b.taskKey)));
  return {
    source: 'code',
    focus: null,
    tasks: sorted.map((d) => ({
      task: name(d.typeKey, d.taskKey),
      typeKey: d.typeKey,
      taskKey: d.taskKey,
      description: d.description,
      processUnits: d.processUnits,
      writeAll: [...d.writeAll],
    })),
    dependencies: sorted.flatMap((d) =>
      d.dependencies.map((dep) => ({
        from: name(dep.typeKey, dep.taskKey),
        to: name(d.typeKey, d.taskKey),
        hours: dep.hours,
        arguments: dep.arguments,
      })),
    ),
    chains: sorted.flatMap((d) => (d.next ? [{ from: name(d.typeKey, d.taskKey), to: name(d.next.typeKey, d.next.taskKey) }] : [])),
    workflows: [...workflows]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((w) => ({
        name: w.name,
        description: w.description,
        schedule: w.schedule?.cron ?? null,
        params: w.params.map((p) => ({ name: p.name, type: p.type, required: p.required, ...(!p.required && { default: p.default! }) })),
        steps: w.steps.map((s) => ({ id: s.id, task: name(s.typeKey, s.taskKey), requires: [...new Set(s.requires)] })),
      })),
  };
}
