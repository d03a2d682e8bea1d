import { html } from 'hono/html';
import type { QueueStatus, ThroughputMinute } from 'jobmaster';
import type { Principal, ServerContext } from '../server-env.js';
import { formatCount, formatTime } from './format.js';
import { layout, type Html } from './layout.js';
import { throughputChart } from './throughput-chart.js';

const STATUSES = ['waiting', 'running', 'complete', 'failed', 'cancelled'] as const;

/** The overview: counts by task and status, throughput, what runs where, node budgets, recent failures. */
export function overviewPage(ctx: ServerContext, principal: Principal, status: QueueStatus, throughput: ThroughputMinute[]): Html {
  const base = ctx.basePath;
  const jobsLink = (query: string): string => `${base}/jobs?${query}`;
  return layout(
    ctx,
    principal,
    { title: 'Overview', active: 'Overview', live: 'page' },
    html`<h1>Overview</h1>
      <p class="muted">
        Schema ${status.schema} at ${formatTime(status.at)}; finished jobs counted since ${formatTime(status.filters.since)}.
      </p>
      <section class="totals">
        ${STATUSES.map(
          (s) =>
            html`<a class="total total-${s}" href="${jobsLink(`status=${s}`)}"
              ><span class="count">${formatCount(status.totals[s])}</span> ${s}</a
            >`,
        )}
      </section>
      ${throughputChart(throughput)}
      <h2>Jobs by task</h2>
      ${
        status.tasks.length === 0
          ? html`<p class="muted">No jobs yet.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>task</th>
                  ${STATUSES.map((s) => html`<th class="num">${s}</th>`)}
                </tr>
              </thead>
              <tbody>
                ${status.tasks.map(
                  (t) =>
                    html`<tr>
                      <td><a href="${jobsLink(`task=${encodeURIComponent(t.task)}`)}">${t.task}</a></td>
                      ${STATUSES.map(
                        (s) =>
                          html`<td class="num">
                            ${t[s] ? html`<a href="${jobsLink(`task=${encodeURIComponent(t.task)}&status=${s}`)}">${formatCount(t[s])}</a>` : '0'}
                          </td>`,
                      )}
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <h2>Running (${formatCount(status.totals.running)})</h2>
      ${
        status.running.length === 0
          ? html`<p class="muted">Nothing running.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>job</th>
                  <th>task</th>
                  <th>node</th>
                  <th>pid</th>
                  <th class="num">units</th>
                  <th>started</th>
                  <th>attempt</th>
                </tr>
              </thead>
              <tbody>
                ${status.running.map(
                  (r) =>
                    html`<tr>
                      <td><a href="${base}/jobs/${r.id}">${r.id}</a></td>
                      <td>${r.task}</td>
                      <td>${r.node ?? '–'}</td>
                      <td>${r.pid ?? '–'}</td>
                      <td class="num">${r.processUnits}</td>
                      <td>${formatTime(r.startedAt)}</td>
                      <td>${r.attempt}/${r.maxAttempts}${r.cancelRequested ? ' (cancel requested)' : ''}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <h2>Node budgets</h2>
      ${
        status.nodes.length === 0
          ? html`<p class="muted">No worker has reported yet.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>node</th>
                  <th class="num">workers</th>
                  <th class="num">running</th>
                  <th class="num">units in use</th>
                  <th class="num">budget</th>
                  <th>use</th>
                  <th>last seen</th>
                </tr>
              </thead>
              <tbody>
                ${status.nodes.map((n) => {
                  const budget = n.budget ?? 0;
                  const share = budget > 0 ? Math.min(100, Math.round((n.inUse / budget) * 100)) : 0;
                  return html`<tr>
                    <td>${n.node}</td>
                    <td class="num">${n.workers}</td>
                    <td class="num">${n.runningJobs}</td>
                    <td class="num">${formatCount(n.inUse)}</td>
                    <td class="num">${n.budget === null ? '–' : formatCount(n.budget)}</td>
                    <td><meter min="0" max="100" value="${share}">${share}%</meter></td>
                    <td>${formatTime(n.lastSeenAt)}</td>
                  </tr>`;
                })}
              </tbody>
            </table>`
      }
      <h2>Recent failures</h2>
      ${
        status.recentFailures.length === 0
          ? html`<p class="muted">No failures.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>job</th>
                  <th>task</th>
                  <th>finished</th>
                  <th>message</th>
                </tr>
              </thead>
              <tbody>
                ${status.recentFailures.map(
                  (f) =>
                    html`<tr>
                      <td><a href="${base}/jobs/${f.id}">${f.id}</a></td>
                      <td>${f.task}</td>
                      <td>${formatTime(f.finishedAt)}</td>
                      <td class="message">${f.message ?? ''}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`,
  );
}
