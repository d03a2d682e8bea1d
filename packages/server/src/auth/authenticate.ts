import type { MiddlewareHandler } from 'hono';
import { scopeAllows, verifyApiToken, type TokenScope } from 'jobmaster';
import { ApiError } from '../http/api-error.js';
import type { ServerContext, ServerEnv } from '../server-env.js';
import { isSameOrigin, isStateChange } from './same-origin.js';
import { sessionToken } from './session-cookie.js';

const REASONS = {
  unknown: 'The token is not valid',
  expired: 'The token has expired: create a new one with "jm token create"',
  revoked: 'The token has been revoked',
} as const;

/**
 * Finds who is calling: an `Authorization: Bearer` token (API clients) or the dashboard's
 * session cookie. A state change made with the cookie must come from this origin. Sets
 * `principal` (null when no valid token) and `authProblem`.
 */
export function authenticate(ctx: ServerContext): MiddlewareHandler<ServerEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    let token: string | undefined;
    let via: 'bearer' | 'cookie' = 'bearer';
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) throw new ApiError(401, 'JM_UNAUTHENTICATED', 'The Authorization header must be "Bearer TOKEN"');
      token = match[1];
    } else {
      token = sessionToken(c);
      via = 'cookie';
    }
    c.set('principal', null);
    c.set('authProblem', 'Sign in with a token: send "Authorization: Bearer TOKEN" (create one with "jm token create")');
    if (token !== undefined) {
      const check = await verifyApiToken(ctx.pool, ctx.schema, token);
      if (check.valid) {
        if (via === 'cookie' && isStateChange(c.req.method) && !isSameOrigin(c.req.raw)) {
          throw new ApiError(403, 'JM_CROSS_ORIGIN', 'Refused: a change made with the session cookie must come from the dashboard itself');
        }
        c.set('principal', { tokenName: check.name, scope: check.scope, via });
      } else {
        c.set('authProblem', REASONS[check.reason]);
      }
    }
    await next();
  };
}

/** Refuses the request unless its token holds `scope`: 401 without a valid token, 403 with too small a scope. */
export function requireScope(scope: TokenScope): MiddlewareHandler<ServerEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (!principal) throw new ApiError(401, 'JM_UNAUTHENTICATED', c.get('authProblem'));
    if (!scopeAllows(principal.scope, scope)) {
      throw new ApiError(403, 'JM_FORBIDDEN', `Token "${principal.tokenName}" has scope ${principal.scope}; this needs ${scope}`);
    }
    await next();
  };
}
