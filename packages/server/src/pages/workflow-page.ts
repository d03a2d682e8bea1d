import { html } from 'hono/html';
import type { DeployedWorkflow, WorkflowRunSummary } from 'jobmaster';
import type { Principal, ServerContext } from '../server-env.js';
import { shortJson } from './format.js';
import { taskAnchor, workflowSvg } from './graph-page.js';
import { canOperate, layout, type Html } from './layout.js';
import { runTable } from './run-table.js';

/** A starting value for the start form's parameters: each required one with an empty value of its type. */
function paramsTemplate(workflow: DeployedWorkflow): string {
  const empty: Record<string, unknown> = { string: '', integer: 0, number: 0, boolean: false, object: {}, array: [], null: null };
  const required = workflow.params.filter((p) => p.required);
  return required.length ? JSON.stringify(Object.fromEntries(required.map((p) => [p.name, empty[p.type] ?? null]))) : '{}';
}

/** One workflow: its DAG, parameters and steps, a start form for operators, and its latest runs. */
export function workflowPage(
  ctx: ServerContext,
  principal: Principal,
  workflow: DeployedWorkflow,
  runs: WorkflowRunSummary[],
  nextCursor: string | null,
): Html {
  const base = ctx.basePath;
  const path = `${base}/workflows/${encodeURIComponent(workflow.name)}`;
  return layout(
    ctx,
    principal,
    { title: `Workflow ${workflow.name}`, active: 'Workflows', live: 'runs' },
    html`<h1>Workflow ${workflow.name}</h1>
      ${workflow.description ? html`<p>${workflow.description}</p>` : ''}
      <div class="picture">${workflowSvg(ctx, workflow)}</div>
      ${
        canOperate(principal)
          ? html`<h2>Start a run</h2>
              <form method="post" action="${path}/start" class="start-form">
                <label>params (JSON) <textarea name="params">${paramsTemplate(workflow)}</textarea></label>
                <label>run key (optional) <input type="text" name="runKey" maxlength="255" /></label>
                <label
                  >if the key is held
                  <select name="onConflict">
                    <option value="raise">refuse</option>
                    <option value="ignore">show that run</option>
                    <option value="replace">cancel it, start anew</option>
                  </select>
                </label>
                <button type="submit">Start run</button>
              </form>`
          : ''
      }
      <dl class="facts">
        <dt>params</dt>
        <dd>
          ${
            workflow.params.length
              ? workflow.params.map(
                  (p, i) =>
                    html`${i ? ', ' : ''}<code>${p.name}</code>:
                    ${p.type}${p.required ? html` <strong>required</strong>` : html` = <code>${JSON.stringify(p.default)}</code>`}`,
                )
              : '–'
          }
        </dd>
        <dt>schedule</dt>
        <dd>
          ${workflow.schedule ? `${workflow.schedule.cron}${workflow.schedule.timeZone ? ` (${workflow.schedule.timeZone})` : ''}` : '–'}
        </dd>
        <dt>source</dt>
        <dd>${workflow.sourceFile ?? 'code (defineWorkflow)'}</dd>
      </dl>
      <h2>Steps</h2>
      <table>
        <thead>
          <tr>
            <th>step</th>
            <th>task</th>
            <th>requires</th>
            <th>args</th>
            <th class="num">priority</th>
          </tr>
        </thead>
        <tbody>
          ${workflow.steps.map(
            (s) =>
              html`<tr>
                <td><code>${s.id}</code></td>
                <td><a href="${base}/tasks#${taskAnchor(s.task)}">${s.task}</a></td>
                <td>${s.requires.join(', ')}</td>
                <td><code>${shortJson(s.args, 100)}</code></td>
                <td class="num">${s.priority}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <h2>Runs</h2>
      ${runTable(ctx, runs, { showWorkflow: false })}
      ${nextCursor ? html`<p><a href="${path}?before=${nextCursor}">Older runs →</a></p>` : ''}`,
  );
}
