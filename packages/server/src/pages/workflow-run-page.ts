import { html } from 'hono/html';
import type { WorkflowRunDetail, WorkflowRunStep } from 'jobmaster';
import type { Principal, ServerContext } from '../server-env.js';
import { dagSvg } from './dag-svg.js';
import { formatJson, formatTime, shortJson, statusBadge } from './format.js';
import { canOperate, layout, type Html } from './layout.js';
import { describeSteps } from './run-table.js';

/** What a step's box and badge show: its job's status while it has one in flight, else the step's own. */
export function stepState(step: WorkflowRunStep): string {
  return step.status === 'started' ? (step.jobStatus ?? 'waiting') : step.status;
}

function took(seconds: number | null): string {
  if (seconds === null) return '–';
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

const STATES = ['pending', 'waiting', 'running', 'complete', 'failed', 'cancelled', 'skipped'];

/**
 * One run: its steps as a DAG coloured by state (each box links to the step's job), the steps'
 * table, and cancel / retry for operators. Live: it re-renders when the run or one of its jobs changes.
 */
export function workflowRunPage(ctx: ServerContext, principal: Principal, run: WorkflowRunDetail, notice?: string): Html {
  const base = ctx.basePath;
  const path = `${base}/workflow-runs/${run.id}`;
  const operate = canOperate(principal);
  const retryable = run.status === 'failed' || run.status === 'cancelled';
  return layout(
    ctx,
    principal,
    { title: `Run ${run.id} of ${run.workflow}`, active: 'Workflows', live: 'runs' },
    html`<section data-run-id="${run.id}">
      <h1>
        Run ${run.id} <small><a href="${base}/workflows/${encodeURIComponent(run.workflow)}">${run.workflow}</a></small>
        <span class="status status-${run.status}" data-run-status="${run.id}">${run.status}</span>
      </h1>
      ${notice ? html`<p class="notice">${notice}</p>` : ''}
      ${
        operate && (run.status === 'running' || retryable)
          ? html`<div class="actions">
              ${run.status === 'running' ? html`<form method="post" action="${path}/cancel"><button type="submit" class="danger">Cancel run</button></form>` : ''}
              ${
                retryable
                  ? html`<form method="post" action="${path}/retry" class="start-form">
                      <label
                        >run again
                        <select name="fromStep">
                          <option value="">the failed, cancelled and skipped steps</option>
                          ${run.stepList.map((s) => html`<option value="${s.id}">from step ${s.id} and downstream</option>`)}
                        </select>
                      </label>
                      <button type="submit">Retry run</button>
                    </form>`
                  : ''
              }
            </div>`
          : ''
      }
      <dl class="facts">
        <dt>steps</dt>
        <dd>${describeSteps(run.steps)}</dd>
        <dt>started</dt>
        <dd>${formatTime(run.createdAt)}</dd>
        <dt>finished</dt>
        <dd>${formatTime(run.finishedAt)}</dd>
        <dt>run key</dt>
        <dd>${run.runKey ?? '–'}</dd>
        <dt>message</dt>
        <dd class="message">${run.message ?? '–'}</dd>
        <dt>params</dt>
        <dd><code>${shortJson(run.params, 200)}</code></dd>
      </dl>
      <div class="picture">
        ${dagSvg(
          run.stepList.map((s) => ({
            id: s.id,
            title: s.id,
            subtitle: `${s.task} · ${stepState(s)}`,
            className: `state-${stepState(s)}`,
            ...(s.jobId !== null && { href: `${base}/jobs/${s.jobId}` }),
            tooltip: [
              `${s.id} (${s.task}): ${stepState(s)}`,
              s.jobId ? `job ${s.jobId}, attempts ${s.attempts ?? 0}` : 'no job yet',
              s.message ?? '',
            ]
              .filter(Boolean)
              .join('\n'),
          })),
          run.stepList.flatMap((s) => s.requires.map((r) => ({ from: r, to: s.id }))),
          `Run ${run.id} of ${run.workflow}: ${describeSteps(run.steps)}`,
        )}
      </div>
      <p class="legend">${STATES.map((s) => statusBadge(s))}</p>
      <h2>Steps</h2>
      <table class="steps">
        <thead>
          <tr>
            <th>step</th>
            <th>task</th>
            <th>status</th>
            <th>job</th>
            <th class="num">attempts</th>
            <th>started</th>
            <th>took</th>
            <th>result or message</th>
          </tr>
        </thead>
        <tbody>
          ${run.stepList.map(
            (s) =>
              html`<tr data-step="${s.id}">
                <td><code>${s.id}</code></td>
                <td>${s.task}</td>
                <td>${statusBadge(stepState(s))}</td>
                <td>
                  ${s.jobId ? html`<a href="${base}/jobs/${s.jobId}">${s.jobId}</a>` : '–'}
                  ${s.pastJobIds.length ? html`<span class="muted">(before: ${s.pastJobIds.map((id, i) => html`${i ? ', ' : ''}<a href="${base}/jobs/${id}">${id}</a>`)})</span>` : ''}
                </td>
                <td class="num">${s.attempts ?? '–'}</td>
                <td>${formatTime(s.startedAt)}</td>
                <td>${took(s.tookSeconds)}</td>
                <td class="message">${s.result !== null ? html`<code>${shortJson(s.result, 120)}</code>` : (s.message ?? '')}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <h2>Parameters</h2>
      <pre class="json">${formatJson(run.params)}</pre>
    </section>`,
  );
}
