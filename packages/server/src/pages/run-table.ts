import { html } from 'hono/html';
import type { WorkflowRunSummary } from 'jobmaster';
import type { ServerContext } from '../server-env.js';
import { formatTime, shortJson, statusBadge } from './format.js';

/** "3 of 4 complete, 1 started": a run's steps by status. */
export function describeSteps(steps: Record<string, number>): string {
  const total = Object.values(steps).reduce((a, b) => a + b, 0);
  const others = Object.entries(steps)
    .filter(([status]) => status !== 'complete')
    .map(([status, n]) => `${n} ${status}`);
  return [`${steps.complete ?? 0} of ${total} complete`, ...others].join(', ');
}

/** Runs as a table: id (linked), workflow, status, steps, started, finished, params and key. */
export function runTable(ctx: ServerContext, runs: WorkflowRunSummary[], { showWorkflow = true } = {}) {
  const base = ctx.basePath;
  if (runs.length === 0) return html`<p class="muted">No runs.</p>`;
  return html`<table class="runs">
    <thead>
      <tr>
        <th>run</th>
        ${showWorkflow ? html`<th>workflow</th>` : ''}
        <th>status</th>
        <th>steps</th>
        <th>started</th>
        <th>finished</th>
        <th>params</th>
        <th>key</th>
      </tr>
    </thead>
    <tbody>
      ${runs.map(
        (r) =>
          html`<tr>
            <td><a href="${base}/workflow-runs/${r.id}">${r.id}</a></td>
            ${showWorkflow ? html`<td><a href="${base}/workflows/${encodeURIComponent(r.workflow)}">${r.workflow}</a></td>` : ''}
            <td>${statusBadge(r.status)}</td>
            <td>${describeSteps(r.steps)}</td>
            <td>${formatTime(r.createdAt)}</td>
            <td>${formatTime(r.finishedAt)}</td>
            <td><code>${shortJson(r.params, 60)}</code></td>
            <td>${r.runKey ?? ''}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
