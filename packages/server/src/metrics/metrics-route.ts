import type { Hono } from 'hono';
import type { ServerContext, ServerEnv } from '../server-env.js';
import { queueMetrics } from './queue-metrics.js';

/**
 * GET {basePath}/metrics: the queue gauges for Prometheus. Like every route but /healthz it
 * needs a token (any scope: read is the least), sent as `Authorization: Bearer TOKEN`, which
 * Prometheus sends from a scrape config's `authorization.credentials_file`. The gauges name
 * every task and how busy it is, which is not for anyone who can reach the port; and one
 * rule for every route keeps `jm serve --host 0.0.0.0` safe. A refusal is a plain 401 (not
 * the dashboard's redirect to its login page), which Prometheus reports as the scrape error.
 */
export function registerMetricsRoute(app: Hono<ServerEnv>, ctx: ServerContext): void {
  app.get(`${ctx.basePath}/metrics`, async (c) => {
    if (!c.get('principal')) {
      return c.text(`${c.get('authProblem')}\n`, 401, { 'www-authenticate': 'Bearer realm="jobmaster"' });
    }
    const { text, contentType } = await queueMetrics(ctx);
    return c.body(text, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });
}
