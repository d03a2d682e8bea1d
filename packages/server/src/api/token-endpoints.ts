import { createApiToken, listApiTokens, parseTokenLifetime, revokeApiToken, type TokenScope } from 'jobmaster';
import { tokenSchema } from './schemas.js';
import type { Endpoint } from './endpoint.js';

export const tokenEndpoints: Endpoint[] = [
  {
    method: 'get',
    path: '/tokens',
    scope: 'admin',
    summary: 'Every token with its scope and state (never the tokens themselves)',
    returns: '{ tokens: ApiTokenInfo[] }',
    async handle({ c, ctx }) {
      return c.json({ tokens: await listApiTokens(ctx.pool, ctx.schema) });
    },
  },
  {
    method: 'post',
    path: '/tokens',
    scope: 'admin',
    summary: 'Create a token; the answer holds the token, shown this once',
    body: tokenSchema,
    status: 201,
    returns: 'CreatedApiToken',
    async handle({ c, ctx, body }) {
      const b = body as { name: string; scope: TokenScope; expires?: string };
      const created = await createApiToken(ctx.pool, ctx.schema, {
        name: b.name,
        scope: b.scope,
        ...(b.expires !== undefined && { expiresInMs: parseTokenLifetime(b.expires) }),
      });
      return c.json(created, 201);
    },
  },
  {
    method: 'delete',
    path: '/tokens/:name',
    scope: 'admin',
    summary: 'Revoke a token, at once',
    returns: 'ApiTokenInfo',
    async handle({ c, ctx }) {
      return c.json(await revokeApiToken(ctx.pool, ctx.schema, c.req.param('name')!));
    },
  },
];
