import { html } from 'hono/html';
import { NEXT_LABEL, describeDependency, describeTaskFacts, type TaskGraph, type TaskGraphWorkflow } from 'jobmaster';
import type { Principal, ServerContext } from '../server-env.js';
import { dagSvg, type SvgEdge } from './dag-svg.js';
import { layout, type Html } from './layout.js';

/** The tasks page's anchor of a task, so a picture's box links to its signature. */
export function taskAnchor(task: string): string {
  return `task-${task.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** A workflow's steps as a picture: one box per step (its id and task), arrows from each required step. */
export function workflowSvg(ctx: ServerContext, workflow: Pick<TaskGraphWorkflow, 'name' | 'steps'>) {
  return dagSvg(
    workflow.steps.map((s) => ({
      id: s.id,
      title: s.id,
      subtitle: s.task,
      href: `${ctx.basePath}/tasks#${taskAnchor(s.task)}`,
    })),
    workflow.steps.flatMap((s) => s.requires.map((r) => ({ from: r, to: s.id }))),
    `Workflow ${workflow.name}: ${workflow.steps.length} steps`,
  );
}

/** The task dependency graph as a picture (tasks with no dependency either way listed beside it). */
function taskSvg(ctx: ServerContext, graph: TaskGraph) {
  const connected = new Set([...graph.dependencies, ...graph.chains].flatMap((d) => [d.from, d.to]));
  if (graph.focus) connected.add(graph.focus);
  const edges = new Map<string, SvgEdge>();
  const labelled = [
    ...graph.dependencies.map((d) => ({ from: d.from, to: d.to, label: describeDependency(d) })),
    ...graph.chains.map((c) => ({ from: c.from, to: c.to, label: NEXT_LABEL })),
  ];
  for (const d of labelled) {
    const key = JSON.stringify([d.from, d.to]);
    const edge = edges.get(key) ?? edges.set(key, { from: d.from, to: d.to, label: [] }).get(key)!;
    edge.label!.push(d.label);
  }
  const drawn = graph.tasks.filter((t) => connected.has(t.task));
  return drawn.length
    ? dagSvg(
        drawn.map((t) => ({
          id: t.task,
          title: t.task,
          subtitle: describeTaskFacts(t),
          href: `${ctx.basePath}/graph?task=${encodeURIComponent(t.task)}`,
          ...(t.task === graph.focus && { className: 'focus' }),
          tooltip: [t.task, describeTaskFacts(t), t.description ?? ''].filter(Boolean).join('\n'),
        })),
        [...edges.values()],
        `Task dependency graph: ${drawn.length} tasks, ${graph.dependencies.length} dependencies, ${graph.chains.length} next-task chains`,
      )
    : '';
}

/**
 * The deployed registry as pictures: the task dependency graph (arrows from a dependency to the
 * task that needs it, labelled with the freshness window and fixed arguments), optionally
 * around one task, and every workflow as a DAG. The same data as `jm graph --deployed`.
 */
export function graphPage(ctx: ServerContext, principal: Principal, graph: TaskGraph, taskNames: string[]): Html {
  const base = ctx.basePath;
  const connected = new Set([...graph.dependencies, ...graph.chains].flatMap((d) => [d.from, d.to]));
  const alone = graph.tasks.filter((t) => !connected.has(t.task) && t.task !== graph.focus);
  const text = (format: string) => `${base}/api/v1/graph?format=${format}${graph.focus ? `&task=${encodeURIComponent(graph.focus)}` : ''}`;
  return layout(
    ctx,
    principal,
    { title: graph.focus ? `Graph around ${graph.focus}` : 'Graph', active: 'Graph' },
    html`<h1>Graph ${graph.focus ? html`<small>around ${graph.focus}</small>` : ''}</h1>
      <form method="get" action="${base}/graph" class="filters">
        <label
          >around task
          <select name="task">
            <option value="">all tasks</option>
            ${taskNames.map((t) => html`<option value="${t}" ${t === graph.focus ? 'selected' : ''}>${t}</option>`)}
          </select>
        </label>
        <button type="submit">Show</button>
        <span class="muted"
          >as text: <a href="${text('mermaid')}">Mermaid</a> · <a href="${text('dot')}">DOT</a> · <a href="${text('json')}">JSON</a></span
        >
      </form>
      <h2>Task dependencies</h2>
      <p class="muted">
        An arrow runs from a dependency to the task that needs it, labelled with how recently the dependency must have completed and the
        arguments it is given (beyond those passed on as <code>same</code>). Click a task to see the graph around it.
      </p>
      ${graph.dependencies.length || graph.chains.length || graph.focus ? html`<div class="picture">${taskSvg(ctx, graph)}</div>` : html`<p>No task depends on another.</p>`}
      ${
        alone.length
          ? html`<p class="muted">
              Tasks with no dependencies either way:
              ${alone.map((t, i) => html`${i ? ', ' : ''}<a href="${base}/tasks#${taskAnchor(t.task)}">${t.task}</a>`)}
            </p>`
          : ''
      }
      <h2>Workflows${graph.focus ? html` <small>with a step of ${graph.focus}</small>` : ''}</h2>
      ${graph.workflows.length === 0 ? html`<p class="muted">None.</p>` : ''}
      ${graph.workflows.map(
        (w) =>
          html`<section class="workflow">
            <h3><a href="${base}/workflows/${encodeURIComponent(w.name)}">${w.name}</a></h3>
            ${w.description ? html`<p>${w.description}</p>` : ''}
            <div class="picture">${workflowSvg(ctx, w)}</div>
          </section>`,
      )}`,
  );
}
