import { html } from 'hono/html';
import type { ScheduleInfo } from 'jobmaster';
import type { Principal, ServerContext } from '../server-env.js';
import { formatTime, shortJson } from './format.js';
import { canOperate, layout, type Html } from './layout.js';

/** Cron schedules with their last and next ticks, and pause/resume for operators. */
export function schedulesPage(ctx: ServerContext, principal: Principal, schedules: ScheduleInfo[]): Html {
  const base = ctx.basePath;
  const operate = canOperate(principal);
  return layout(
    ctx,
    principal,
    { title: 'Schedules', active: 'Schedules', live: 'page' },
    html`<h1>Schedules</h1>
      ${
        schedules.length === 0
          ? html`<p class="muted">No schedules: declare one on a task or add one with "jm schedule add".</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>name</th>
                  <th>task</th>
                  <th>cron</th>
                  <th>arguments</th>
                  <th>state</th>
                  <th>last tick</th>
                  <th>next tick</th>
                  <th>last job</th>
                  ${operate ? html`<th></th>` : ''}
                </tr>
              </thead>
              <tbody>
                ${schedules.map(
                  (s) =>
                    html`<tr>
                      <td>${s.name} <span class="muted">(${s.source})</span></td>
                      <td>${s.task}</td>
                      <td><code>${s.cron}</code>${s.timeZone ? ` ${s.timeZone}` : ''}</td>
                      <td><code>${shortJson(s.args, 60)}</code></td>
                      <td>
                        ${s.paused ? html`<span class="status status-cancelled">paused</span>` : html`<span class="status status-running">active</span>`}
                      </td>
                      <td>${formatTime(s.lastTickAt)}</td>
                      <td>${formatTime(s.nextFireAt)}</td>
                      <td>
                        ${s.lastJobId ? html`<a href="${base}/jobs/${s.lastJobId}">${s.lastJobId}</a>` : '–'}
                        ${s.lastError ? html`<div class="error-message">${s.lastError}</div>` : ''}
                      </td>
                      ${
                        operate
                          ? html`<td>
                              <form method="post" action="${base}/schedules/${encodeURIComponent(s.name)}/${s.paused ? 'resume' : 'pause'}">
                                <button type="submit">${s.paused ? 'Resume' : 'Pause'}</button>
                              </form>
                            </td>`
                          : ''
                      }
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`,
  );
}
