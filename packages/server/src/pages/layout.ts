import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Principal, ServerContext } from '../server-env.js';

/** What a page renders to: HTML whose every interpolated value was escaped. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const NAV = [
  ['', 'Overview'],
  ['/jobs', 'Jobs'],
  ['/tasks', 'Tasks'],
  ['/schedules', 'Schedules'],
  ['/workflows', 'Workflows'],
  ['/graph', 'Graph'],
] as const;

/**
 * The page around every dashboard view. `live`: the script re-renders `main` from the server
 * when jobs change ('page'), or only updates status badges in place ('badges'), or re-renders
 * `main` when workflow runs change ('runs': only the run of a `[data-run-id]` element, when the page has one).
 */
export function layout(
  ctx: ServerContext,
  principal: Principal | null,
  view: { title: string; active?: string; live?: 'page' | 'badges' | 'runs' },
  body: Html,
): Html {
  const base = ctx.basePath;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${view.title} · JobMaster</title>
        <link rel="stylesheet" href="${base}/assets/style.css" />
        <script src="${base}/assets/live.js" defer></script>
      </head>
      <body data-events="${principal && view.live ? `${base}/api/v1/events` : ''}" data-live="${view.live ?? ''}">
        <header>
          <a class="brand" href="${base}/">JobMaster</a>
          ${
            principal
              ? html`<nav>
                    ${NAV.map(([path, label]) => html`<a href="${base}${path || '/'}" class="${view.active === label ? 'active' : ''}">${label}</a>`)}
                  </nav>
                  <form method="post" action="${base}/logout" class="signed-in">
                    <span>${principal.tokenName} <span class="scope">${principal.scope}</span></span>
                    <button type="submit" class="link">Sign out</button>
                  </form>`
              : ''
          }
        </header>
        <main id="main">${body}</main>
      </body>
    </html>`;
}

/** True when the caller may act on jobs and schedules (the buttons are drawn only then; the server checks again). */
export function canOperate(principal: Principal | null): boolean {
  return principal !== null && principal.scope !== 'read';
}
