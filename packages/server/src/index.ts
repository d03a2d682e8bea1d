/**
 * JobMaster's HTTP server: the JSON API (`/api/v1`, OpenAPI document included), the web
 * dashboard and `/healthz`, as one standard Fetch handler to serve with `jm serve` or mount
 * in any app.
 */
export { createHandler, type HandlerOptions, type JobMasterHandler } from './create-handler.js';
export { CONTENT_SECURITY_POLICY } from './http/security-headers.js';
export { DEFAULT_BODY_LIMIT } from './http/read-body.js';
export { API_ENDPOINTS } from './api/api-routes.js';
export type { Endpoint } from './api/endpoint.js';
export type { Principal } from './server-env.js';
export { listen, isLoopbackHost, type ListeningServer } from './listen.js';
/** Turns the Fetch handler into a node:http listener (for node:http, Express, Fastify); from @hono/node-server. */
export { getRequestListener } from '@hono/node-server';
