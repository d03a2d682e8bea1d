import { html } from 'hono/html';
import type { JobPage, RegisteredTask } from 'jobmaster';
import type { Principal, ServerContext } from '../server-env.js';
import { filterSelect, formatCount, formatTime, shortJson, statusBadge } from './format.js';
import { canOperate, layout, type Html } from './layout.js';

const STATUSES = ['waiting', 'running', 'complete', 'failed', 'cancelled'];

/** The jobs list's view: the query as given, the page, a bounded count and the registered tasks for the filter. */
export interface JobsView {
  query: URLSearchParams;
  page: JobPage;
  count: { count: number; capped: boolean };
  tasks: RegisteredTask[];
  bulkCap: number;
  /** What the last bulk action did, to say so. */
  notice?: string;
}

/** Jobs with the API's filters, keyset pages, and bulk retry/cancel of selected or all matching jobs. */
export function jobsPage(ctx: ServerContext, principal: Principal, view: JobsView): Html {
  const base = ctx.basePath;
  const q = (name: string): string => view.query.get(name) ?? '';
  const next = new URLSearchParams(view.query);
  next.delete('notice');
  if (view.page.nextCursor) next.set('before', view.page.nextCursor);
  const first = new URLSearchParams(view.query);
  first.delete('before');
  first.delete('notice');
  const newestShown = view.page.jobs[0]?.id;
  const operate = canOperate(principal);
  const hidden = (name: string) => (q(name) ? html`<input type="hidden" name="${name}" value="${q(name)}" />` : '');
  return layout(
    ctx,
    principal,
    { title: 'Jobs', active: 'Jobs', live: 'badges' },
    html`<h1>Jobs</h1>
      ${view.notice ? html`<p class="notice">${view.notice}</p>` : ''}
      <form method="get" action="${base}/jobs" class="filters">
        ${filterSelect(
          'task',
          'task',
          view.tasks.map((t) => t.task),
          q('task'),
        )}
        ${filterSelect('status', 'status', STATUSES, q('status'))}
        <label>created from <input type="text" name="from" value="${q('from')}" placeholder="2026-12-03T00:00:00Z" /></label>
        <label>to <input type="text" name="to" value="${q('to')}" placeholder="2026-12-04T00:00:00Z" /></label>
        <label>arguments contain <input type="text" name="args" value="${q('args')}" placeholder='{"region":"eu"}' /></label>
        <button type="submit">Filter</button>
      </form>
      <p class="muted">
        ${view.count.capped ? `More than ${formatCount(view.count.count)}` : formatCount(view.count.count)} matching
        job${view.count.count === 1 ? '' : 's'}${q('before') ? html`; <a href="${base}/jobs?${first.toString()}">newest first</a>` : ''}
      </p>
      ${
        operate
          ? html`<form method="post" action="${base}/jobs/bulk" id="bulk" class="bulk">
              ${['task', 'status', 'from', 'to', 'args'].map(hidden)}
              ${newestShown ? html`<input type="hidden" name="upToId" value="${newestShown}" />` : ''}
              <span>Selected:</span>
              <button type="submit" name="action" value="retry-selected">Retry</button>
              <button type="submit" name="action" value="cancel-selected">Cancel</button>
              <span>All matching (up to ${formatCount(view.bulkCap)}, none newer than this page):</span>
              <button type="submit" name="action" value="retry-matching">Retry all</button>
              <button type="submit" name="action" value="cancel-matching">Cancel all</button>
            </form>`
          : ''
      }
      <table class="jobs">
        <thead>
          <tr>
            ${operate ? html`<th></th>` : ''}
            <th>job</th>
            <th>task</th>
            <th>status</th>
            <th class="num">priority</th>
            <th>arguments</th>
            <th>created</th>
            <th>finished</th>
            <th>message</th>
          </tr>
        </thead>
        <tbody>
          ${view.page.jobs.map(
            (j) =>
              html`<tr>
                ${operate ? html`<td><input type="checkbox" form="bulk" name="id" value="${j.id}" aria-label="select job ${j.id}" /></td>` : ''}
                <td><a href="${base}/jobs/${j.id}">${j.id}</a></td>
                <td>${j.task}</td>
                <td>${statusBadge(j.status, j.id)}</td>
                <td class="num">${j.priority}</td>
                <td><code>${shortJson(j.arguments)}</code></td>
                <td>${formatTime(j.createdAt)}</td>
                <td>${formatTime(j.finishedAt)}</td>
                <td class="message">${j.message ?? ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${view.page.nextCursor ? html`<p><a href="${base}/jobs?${next.toString()}" rel="next">Older jobs →</a></p>` : ''}`,
  );
}
