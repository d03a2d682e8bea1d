import type { Endpoint } from './endpoint.js';
import { errorSchema } from './schemas.js';

const ERRORS: Record<string, string> = {
  '400': 'Bad request: malformed JSON, unknown fields, wrong types, or arguments the task refuses',
  '401': 'No valid token (missing, unknown, expired or revoked)',
  '403': "The token's scope does not allow this, or a cookie-signed change from another origin",
  '404': 'No such job, task, schedule, token, workflow or run',
  '409': 'Conflict: a held job or run key, an existing schedule or token, or more jobs than the bulk cap',
  '413': 'The request body is larger than the limit',
};

/** The OpenAPI 3.1 document of the API, generated from the same endpoint list and schemas that route and validate requests. */
export function openApiDocument(endpoints: readonly Endpoint[], serverUrl: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const e of endpoints) {
    const path = e.path.replace(/:([a-z]+)/g, '{$1}');
    const parameters = [
      ...[...e.path.matchAll(/:([a-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } })),
      ...Object.entries(e.query ?? {}).map(([name, description]) => ({
        name,
        in: 'query',
        required: false,
        description,
        schema: { type: 'string' },
      })),
    ];
    const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
    paths[path] ??= {};
    paths[path][e.method] = {
      summary: e.summary,
      'x-jobmaster-scope': e.scope,
      security: [{ bearer: [] }, { session: [] }],
      ...(parameters.length && { parameters }),
      ...(e.body && { requestBody: { required: !e.optionalBody, content: { 'application/json': { schema: e.body } } } }),
      responses: {
        [String(e.status ?? 200)]: {
          description: e.returns,
          content: e.stream ? { 'text/event-stream': { schema: { type: 'string' } } } : { 'application/json': { schema: {} } },
        },
        ...Object.fromEntries(Object.entries(ERRORS).map(([status, description]) => [status, { description, content: errorContent }])),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'JobMaster API',
      version: '1',
      description:
        'Put jobs on the queue and operate them. Every request needs a token (jm token create NAME --scope read|operate|admin): read views, operate also enqueues, cancels, retries and changes schedules, admin also manages tokens.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        session: { type: 'apiKey', in: 'cookie', name: 'jm_session' },
      },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}
