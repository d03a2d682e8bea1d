import { html } from 'hono/html';
import { WORKFLOW_RUN_STATUSES, type DeployedWorkflow, type WorkflowRunSummary } from 'jobmaster';
import type { Principal, ServerContext } from '../server-env.js';
import { workflowSvg } from './graph-page.js';
import { filterSelect } from './format.js';
import { layout, type Html } from './layout.js';
import { runTable } from './run-table.js';

/** What the workflows page shows: the definitions, and one page of runs with its filters. */
export interface WorkflowsView {
  workflows: DeployedWorkflow[];
  runs: WorkflowRunSummary[];
  /** The filters as given (workflow, status, before). */
  query: URLSearchParams;
  /** The id to page on from, when there may be older runs. */
  nextCursor: string | null;
}

/** The deployed workflows, each drawn as its DAG, and their runs newest first (live: the list follows run changes). */
export function workflowsPage(ctx: ServerContext, principal: Principal, view: WorkflowsView): Html {
  const base = ctx.basePath;
  const q = (name: string): string => view.query.get(name) ?? '';
  const older = new URLSearchParams(view.query);
  if (view.nextCursor) older.set('before', view.nextCursor);
  return layout(
    ctx,
    principal,
    { title: 'Workflows', active: 'Workflows', live: 'runs' },
    html`<h1>Workflows</h1>
      ${view.workflows.length === 0 ? html`<p class="muted">No workflows deployed: declare some and run "jm deploy".</p>` : ''}
      ${view.workflows.map(
        (w) =>
          html`<section class="workflow">
            <h2><a href="${base}/workflows/${encodeURIComponent(w.name)}">${w.name}</a></h2>
            <p class="muted">
              ${w.steps.length}
              step${w.steps.length === 1 ? '' : 's'}${w.params.length ? `, params: ${w.params.map((p) => `${p.name}${p.required ? '' : '?'}: ${p.type}`).join(', ')}` : ''}${w.schedule ? `, schedule: ${w.schedule.cron}` : ''}
            </p>
            ${w.description ? html`<p>${w.description}</p>` : ''}
            <div class="picture">${workflowSvg(ctx, w)}</div>
          </section>`,
      )}
      <h2>Runs</h2>
      <form method="get" action="${base}/workflows" class="filters">
        ${filterSelect(
          'workflow',
          'workflow',
          view.workflows.map((w) => w.name),
          q('workflow'),
        )}
        ${filterSelect('status', 'status', WORKFLOW_RUN_STATUSES, q('status'))}
        <button type="submit">Filter</button>
      </form>
      ${runTable(ctx, view.runs)} ${view.nextCursor ? html`<p><a href="${base}/workflows?${older.toString()}">Older runs →</a></p>` : ''}`,
  );
}
