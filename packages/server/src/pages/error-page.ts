import { html } from 'hono/html';
import type { ServerContext } from '../server-env.js';
import { layout, type Html } from './layout.js';

/** A page saying what went wrong, in the dashboard's frame. */
export function errorPage(ctx: ServerContext, status: number, message: string): Html {
  return layout(
    ctx,
    null,
    { title: `Error ${status}` },
    html`<h1>Error ${status}</h1>
      <p class="error-message">${message}</p>
      <p><a href="${ctx.basePath}/">Back to the overview</a></p>`,
  );
}
