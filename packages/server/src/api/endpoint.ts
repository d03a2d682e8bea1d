import type { Context } from 'hono';
import type { TokenScope } from 'jobmaster';
import type { Principal, ServerContext, ServerEnv } from '../server-env.js';

/** What an endpoint's handler gets: the request, the server's context and the caller. */
export interface EndpointCall {
  c: Context<ServerEnv>;
  ctx: ServerContext;
  principal: Principal;
  /** The body, parsed and validated against `body` (undefined without one). */
  body: unknown;
}

/** One API endpoint: routing, the scope it needs, its schemas (for validation and the OpenAPI document) and its handler. */
export interface Endpoint {
  method: 'get' | 'post' | 'delete';
  /** Under /api/v1, Hono style: `/jobs/:id`. */
  path: string;
  scope: TokenScope;
  summary: string;
  /** JSON Schema of the request body. */
  body?: object;
  /** The body may be left out altogether (then `body` is undefined). (Default: false) */
  optionalBody?: boolean;
  /** Query parameters: name → description. */
  query?: Record<string, string>;
  /** What a success returns. */
  returns: string;
  /** The success status. (Default: 200) */
  status?: number;
  /** Answers with Server-Sent Events rather than JSON. */
  stream?: boolean;
  handle(call: EndpointCall): Promise<Response> | Response;
}

/** The operator recorded in a job's history for an action taken with a token. */
export function operatorFor(principal: Principal): { by: string } {
  return { by: `token:${principal.tokenName}` };
}
