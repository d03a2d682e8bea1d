import type { Hono } from 'hono';
import { ApiError } from '../http/api-error.js';
import { readJsonBody } from '../http/read-body.js';
import { requireScope } from '../auth/authenticate.js';
import type { ServerContext, ServerEnv } from '../server-env.js';
import type { Endpoint } from './endpoint.js';
import { jobEndpoints } from './job-endpoints.js';
import { openApiDocument } from './openapi.js';
import { compileSchema, validateBody } from './validate-body.js';
import { scheduleEndpoints } from './schedule-endpoints.js';
import { tokenEndpoints } from './token-endpoints.js';
import { viewEndpoints } from './view-endpoints.js';
import { graphEndpoints } from './graph-endpoints.js';
import { workflowEndpoints } from './workflow-endpoints.js';

/** Every endpoint under /api/v1 but the OpenAPI document itself. */
export const API_ENDPOINTS: readonly Endpoint[] = [
  ...viewEndpoints,
  ...jobEndpoints,
  ...scheduleEndpoints,
  ...tokenEndpoints,
  ...workflowEndpoints,
  ...graphEndpoints,
];

/** True when a request carries a body (a declared length above 0, or a chunked one). */
function hasBody(request: Request): boolean {
  const length = request.headers.get('content-length');
  return length === null ? request.body !== null : Number(length) > 0;
}

/** Mounts the API on `app` (whose routes already carry the base path). */
export function registerApiRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  const prefix = `${ctx.basePath}/api/v1`;
  app.get(`${prefix}/openapi.json`, requireScope('read'), (c) =>
    c.json(openApiDocument(API_ENDPOINTS, `${new URL(c.req.url).origin}${prefix}`)),
  );
  for (const endpoint of API_ENDPOINTS) {
    if (endpoint.body) compileSchema(endpoint.body);
    app.on(endpoint.method.toUpperCase(), `${prefix}${endpoint.path}`, requireScope(endpoint.scope), async (c) => {
      let body: unknown;
      if (endpoint.body && !(endpoint.optionalBody && !hasBody(c.req.raw))) {
        body = validateBody(endpoint.body, await readJsonBody(c.req.raw, ctx.bodyLimit));
      }
      return await endpoint.handle({ c, ctx, principal: c.get('principal')!, body });
    });
  }
  app.all(`${prefix}/*`, () => {
    throw new ApiError(404, 'JM_NOT_FOUND', 'No such API endpoint (see /api/v1/openapi.json)');
  });
}
