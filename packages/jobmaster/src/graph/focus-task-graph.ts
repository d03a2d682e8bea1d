import { UnknownWorkflowError } from '../errors.js';
import { TaskNotInGraphError } from './graph-errors.js';
import type { TaskGraph } from './task-graph.js';

/** Every task reachable from `start` following `next` (start included). */
function closure(start: string, next: Map<string, string[]>): Set<string> {
  const seen = new Set([start]);
  const stack = [start];
  while (stack.length) {
    for (const t of next.get(stack.pop()!) ?? []) {
      if (!seen.has(t)) {
        seen.add(t);
        stack.push(t);
      }
    }
  }
  return seen;
}

/**
 * The graph around one task: the task, everything it needs (its dependencies, theirs, ...),
 * everything that needs it, the edges among those, and the workflows with a step of that
 * task. Throws TaskNotInGraphError naming the task.
 */
export function focusTaskGraph(graph: TaskGraph, task: string): TaskGraph {
  if (!graph.tasks.some((t) => t.task === task)) throw new TaskNotInGraphError(task, graph.source);
  const upstream = new Map<string, string[]>();
  const downstream = new Map<string, string[]>();
  // A chain runs its tasks in order as a dependency does: both lead from one task to the next.
  for (const d of [...graph.dependencies, ...graph.chains]) {
    upstream.set(d.to, [...(upstream.get(d.to) ?? []), d.from]);
    downstream.set(d.from, [...(downstream.get(d.from) ?? []), d.to]);
  }
  const kept = new Set([...closure(task, upstream), ...closure(task, downstream)]);
  // An edge between two kept tasks belongs to the picture only on a path through the focus:
  // a sibling's other dependents are not "around" this task.
  const before = closure(task, upstream);
  const after = closure(task, downstream);
  return {
    ...graph,
    focus: task,
    tasks: graph.tasks.filter((t) => kept.has(t.task)),
    dependencies: graph.dependencies.filter((d) => (before.has(d.from) && before.has(d.to)) || (after.has(d.from) && after.has(d.to))),
    chains: graph.chains.filter((c) => (before.has(c.from) && before.has(c.to)) || (after.has(c.from) && after.has(c.to))),
    workflows: graph.workflows.filter((w) => w.steps.some((s) => s.task === task)),
  };
}

/** Only one workflow (and no tasks). Throws UnknownWorkflowError. */
export function selectGraphWorkflow(graph: TaskGraph, name: string): TaskGraph {
  const workflow = graph.workflows.find((w) => w.name === name);
  if (!workflow) throw new UnknownWorkflowError(name);
  return { ...graph, tasks: [], dependencies: [], chains: [], workflows: [workflow] };
}
