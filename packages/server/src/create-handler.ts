import { Hono } from 'hono';
import type pg from 'pg';
import { DEFAULT_BULK_CAP, validateSchemaName, DEFAULT_SCHEMA } from 'jobmaster';
import { registerApiRoutes } from './api/api-routes.js';
import { ChangeFeed } from './api/change-feed.js';
import { authenticate } from './auth/authenticate.js';
import { describeError } from './http/api-error.js';
import { DEFAULT_BODY_LIMIT } from './http/read-body.js';
import { securityHeaders } from './http/security-headers.js';
import { registerAssetRoutes } from './pages/asset-routes.js';
import { registerMetricsRoute } from './metrics/metrics-route.js';
import { errorPage } from './pages/error-page.js';
import { registerPageRoutes } from './pages/page-routes.js';
import { registerWorkflowPageRoutes } from './pages/workflow-page-routes.js';
import type { ServerContext, ServerEnv } from './server-env.js';

/** Options of `createHandler`. */
export interface HandlerOptions {
  /** The database: a `pg.Pool` (the CLI's context gives one for a server or the embedded database). */
  pool: pg.Pool;
  /** (Default: 'jobmaster') */
  schema?: string;
  /** Where the handler is mounted in the host app, e.g. '/jobmaster'. (Default: '' for the root) */
  basePath?: string;
  /** The largest request body accepted, in bytes; larger ones get 413. (Default: 1,048,576) */
  bodyLimit?: number;
  /** The most jobs one bulk cancel or retry may touch. (Default: 1,000) */
  bulkCap?: number;
  /** How often the event stream reads new job changes while someone listens, in ms. (Default: 1,000) */
  pollIntervalMs?: number;
  /** Marks the session cookie Secure (serve over HTTPS). (Default: false) */
  secureCookies?: boolean;
}

/** A standard Fetch handler, with `close()` to stop its background polling. */
export interface JobMasterHandler {
  (request: Request): Promise<Response>;
  close(): void;
}

function normaliseBasePath(path: string | undefined): string {
  const trimmed = (path ?? '').replace(/\/+$/, '');
  if (trimmed !== '' && !/^\/[A-Za-z0-9._~\-/]*$/.test(trimmed))
    throw new Error(`basePath must be a URL path such as /jobmaster, got ${JSON.stringify(path)}`);
  return trimmed;
}

/**
 * Creates JobMaster's HTTP server as one standard Fetch handler: the JSON API under
 * `{basePath}/api/v1`, the dashboard at `{basePath}/`, `{basePath}/healthz`, and the queue
 * gauges for Prometheus at `{basePath}/metrics` (with a token, as the API). Mount it in
 * any framework that speaks Fetch (Hono, Bun, Deno) or through `@hono/node-server`'s
 * `getRequestListener` in node:http, Express or Fastify.
 */
export function createHandler(options: HandlerOptions): JobMasterHandler {
  const schema = validateSchemaName(options.schema ?? DEFAULT_SCHEMA);
  const ctx: ServerContext = {
    pool: options.pool,
    schema,
    basePath: normaliseBasePath(options.basePath),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    bulkCap: options.bulkCap ?? DEFAULT_BULK_CAP,
    feed: new ChangeFeed(options.pool, schema, options.pollIntervalMs ?? 1000),
    secureCookies: options.secureCookies ?? false,
  };
  const app = new Hono<ServerEnv>();
  app.use('*', securityHeaders);
  app.get(`${ctx.basePath}/healthz`, async (c) => {
    try {
      await ctx.pool.query('select 1');
      return c.json({ ok: true });
    } catch {
      return c.json({ ok: false, error: 'the database is not reachable' }, 503);
    }
  });
  registerAssetRoutes(app, ctx);
  app.use(`${ctx.basePath}/*`, authenticate(ctx));
  registerApiRoutes(app, ctx);
  registerMetricsRoute(app, ctx);
  registerPageRoutes(app, ctx);
  registerWorkflowPageRoutes(app, ctx);

  const isApi = (url: string): boolean => new URL(url).pathname.startsWith(`${ctx.basePath}/api/`);
  app.onError((error, c) => {
    const known = describeError(error);
    if (!known) console.error(`jm serve: ${c.req.method} ${new URL(c.req.url).pathname}:`, error);
    const { status, code, message } = known ?? { status: 500, code: 'JM_INTERNAL', message: 'Internal error (see the server log)' };
    if (isApi(c.req.url)) return c.json({ error: { code, message } }, status as 400);
    if (status === 401) return c.redirect(`${ctx.basePath}/login`, 303);
    return c.html(errorPage(ctx, status, message), status as 400);
  });
  app.notFound((c) =>
    isApi(c.req.url)
      ? c.json({ error: { code: 'JM_NOT_FOUND', message: 'No such API endpoint (see /api/v1/openapi.json)' } }, 404)
      : c.html(errorPage(ctx, 404, 'No such page'), 404),
  );

  const handler = (async (request: Request) => await app.fetch(request)) as JobMasterHandler;
  handler.close = () => ctx.feed.stop();
  return handler;
}
