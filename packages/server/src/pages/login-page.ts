import { html } from 'hono/html';
import type { ServerContext } from '../server-env.js';
import { layout, type Html } from './layout.js';

/** The sign-in form: a token, kept afterwards in an HttpOnly session cookie. */
export function loginPage(ctx: ServerContext, problem?: string): Html {
  return layout(
    ctx,
    null,
    { title: 'Sign in' },
    html`<h1>Sign in</h1>
      ${problem ? html`<p class="error-message">${problem}</p>` : ''}
      <form method="post" action="${ctx.basePath}/login" class="login">
        <label>Token <input type="password" name="token" autocomplete="off" required autofocus /></label>
        <button type="submit">Sign in</button>
      </form>
      <p class="muted">Create a token with <code>jm token create NAME --scope read</code> (or operate, admin).</p>`,
  );
}
