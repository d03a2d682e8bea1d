import { html } from 'hono/html';
import type { JobDetail, RelatedJob } from 'jobmaster';
import type { Principal, ServerContext } from '../server-env.js';
import { formatJson, formatTime, statusBadge } from './format.js';
import { canOperate, layout, type Html } from './layout.js';

/** One job: arguments, result or error with its stack, history, and the jobs around it, with cancel/retry for operators. */
export function jobPage(ctx: ServerContext, principal: Principal, job: JobDetail, notice?: string): Html {
  const base = ctx.basePath;
  const link = (r: RelatedJob) => html`<li><a href="${base}/jobs/${r.id}">${r.id}</a> ${r.task} ${statusBadge(r.status, r.id)}</li>`;
  const cancellable = job.status === 'waiting' || (job.status === 'running' && !job.cancelRequested);
  const retryable = job.status === 'failed' || job.status === 'cancelled';
  return layout(
    ctx,
    principal,
    { title: `Job ${job.id}`, active: 'Jobs', live: 'page' },
    html`<h1>Job ${job.id} <small>${job.task}</small> ${statusBadge(job.status, job.id)}</h1>
      ${notice ? html`<p class="notice">${notice}</p>` : ''}
      ${
        canOperate(principal)
          ? html`<div class="actions">
              ${cancellable ? html`<form method="post" action="${base}/jobs/${job.id}/cancel"><button type="submit" class="danger">Cancel job</button></form>` : ''}
              ${retryable ? html`<form method="post" action="${base}/jobs/${job.id}/retry"><button type="submit">Retry job</button></form>` : ''}
            </div>`
          : ''
      }
      <dl class="facts">
        <dt>priority</dt>
        <dd>${job.priority}</dd>
        <dt>attempts</dt>
        <dd>${job.attempts} of ${job.maxAttempts}</dd>
        <dt>process units</dt>
        <dd>${job.processUnits}</dd>
        <dt>created</dt>
        <dd>${formatTime(job.createdAt)}</dd>
        <dt>run at</dt>
        <dd>${formatTime(job.runAt)}</dd>
        <dt>started</dt>
        <dd>${formatTime(job.startedAt)}</dd>
        <dt>finished</dt>
        <dd>${formatTime(job.finishedAt)}</dd>
        <dt>node</dt>
        <dd>${job.node ?? '–'}${job.pid === null ? '' : ` (pid ${job.pid})`}</dd>
        <dt>message</dt>
        <dd class="message">${job.message ?? '–'}</dd>
        ${
          job.cancelRequested
            ? html`<dt>cancel</dt>
                <dd>requested; its worker stops it at the next heartbeat</dd>`
            : ''
        }
      </dl>
      <h2>Arguments</h2>
      <pre class="json">${formatJson(job.arguments)}</pre>
      ${
        job.result !== null
          ? html`<h2>Result</h2>
              <pre class="json">${formatJson(job.result)}</pre>`
          : ''
      }
      ${
        job.error
          ? html`<h2>Error${job.error.attempt ? ` (attempt ${job.error.attempt})` : ''}</h2>
              <p class="error-message">${job.error.message ?? ''}</p>
              ${job.error.stack ? html`<pre class="stack">${job.error.stack}</pre>` : ''}`
          : ''
      }
      ${
        job.spawnedBy
          ? html`<h2>Spawned by</h2>
              <ul class="related">
                ${link(job.spawnedBy)}
                <li class="muted">(${job.spawnedBy.reason})</li>
              </ul>`
          : ''
      }
      ${
        job.waitingFor.length
          ? html`<h2>Waiting for its dependencies</h2>
              <ul class="related">
                ${job.waitingFor.map(link)}
              </ul>`
          : ''
      }
      ${
        job.spawnedTotal
          ? html`<h2>Spawned (${job.spawnedTotal})</h2>
              <ul class="related">
                ${job.spawned.map(link)}
              </ul>
              ${job.spawnedTotal > job.spawned.length ? html`<p class="muted">and ${job.spawnedTotal - job.spawned.length} more</p>` : ''}`
          : ''
      }
      <h2>History</h2>
      <ol class="timeline">
        ${job.history.map(
          (h) =>
            html`<li>
              <time>${formatTime(h.at)}</time> ${statusBadge(h.status)}
              ${h.node ? html`<span class="muted">${h.node}${h.pid === null ? '' : `:${h.pid}`}</span>` : ''}
              <span class="message">${h.message ?? ''}</span>
            </li>`,
        )}
      </ol>`,
  );
}
