import { html } from 'hono/html';
import type { RegisteredTask } from 'jobmaster';
import type { Principal, ServerContext } from '../server-env.js';
import { layout, type Html } from './layout.js';

/** The deployed tasks with their signatures and dependencies. */
export function tasksPage(ctx: ServerContext, principal: Principal, tasks: RegisteredTask[]): Html {
  const base = ctx.basePath;
  const anchor = (task: string): string => `task-${task.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return layout(
    ctx,
    principal,
    { title: 'Tasks', active: 'Tasks' },
    html`<h1>Tasks</h1>
      <p><a href="${base}/graph">The dependency graph and the workflows as pictures →</a></p>
      ${tasks.length === 0 ? html`<p class="muted">No tasks deployed: run "jm deploy".</p>` : ''}
      ${tasks.map(
        (t) =>
          html`<section class="task" id="${anchor(t.task)}">
            <h2><a href="${base}/jobs?task=${encodeURIComponent(t.task)}">${t.task}</a></h2>
            ${t.description ? html`<p>${t.description}</p>` : ''}
            <p class="muted">
              ${t.processUnits} process unit${t.processUnits === 1 ? '' : 's'}, ${t.maxAttempts} attempt${t.maxAttempts === 1 ? '' : 's'}
              ${t.writeAll.length ? `, write-all: ${t.writeAll.join(', ')}` : ''}
            </p>
            ${
              t.parameters.length
                ? html`<table>
                    <thead>
                      <tr>
                        <th>parameter</th>
                        <th>type</th>
                        <th>default</th>
                        <th>values</th>
                        <th>help</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${t.parameters.map(
                        (p) =>
                          html`<tr>
                            <td><code>${p.name}</code></td>
                            <td>${p.type}</td>
                            <td>${p.required ? html`<strong>required</strong>` : html`<code>${JSON.stringify(p.default)}</code>`}</td>
                            <td>${p.selectFrom ? html`<code>${p.selectFrom.map((v) => JSON.stringify(v)).join(', ')}</code>` : ''}</td>
                            <td>${p.help ?? ''}</td>
                          </tr>`,
                      )}
                    </tbody>
                  </table>`
                : html`<p class="muted">No parameters.</p>`
            }
            ${
              t.dependsOn.length
                ? html`<p>Needs: ${t.dependsOn.map((d, i) => html`${i ? ', ' : ''}<a href="#${anchor(d)}">${d}</a>`)}</p>`
                : ''
            }
          </section>`,
      )}`,
  );
}
