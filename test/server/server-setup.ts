/**
 * Shared set-up for the server tests: a deployed schema of the examples, one token of each
 * scope plus an expired and a revoked one, and the handler called in-process (no socket).
 */
import { createApiToken, revokeApiToken, type TokenScope } from 'jobmaster';
import { createHandler, type HandlerOptions, type JobMasterHandler } from '@jobmaster/server';
import { afterAll, beforeAll, expect } from 'vitest';
import { useStatusFixture, type StatusFixture } from '../status/status-setup.js';

/** The credentials an auth test tries: none, a made-up token, and real tokens in each state. */
export type Credential = 'none' | 'wrong' | 'expired' | 'revoked' | TokenScope;
export const CREDENTIALS: readonly Credential[] = ['none', 'wrong', 'expired', 'revoked', 'read', 'operate', 'admin'];

export interface ServerFixture extends StatusFixture {
  /** Token text by credential ('none' has none). */
  tokens: Record<Credential, string | undefined>;
  handler(): JobMasterHandler;
  /** Calls the handler in-process. */
  call(method: string, path: string, options?: CallOptions): Promise<Response>;
}

export interface CallOptions {
  as?: Credential;
  /** A JSON body (serialised) or raw text. */
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

export function useServerFixture(prefix: string, options: Partial<HandlerOptions> = {}): ServerFixture {
  const fx = useStatusFixture(prefix);
  let handler: JobMasterHandler | undefined;
  const tokens = {} as Record<Credential, string | undefined>;
  beforeAll(async () => {
    // The example workflow too, for the workflow endpoints (the status fixture deploys the tasks only).
    const deployed = await fx.jm(['deploy', '--tasks', 'examples/*.ts', '--workflows', 'examples/workflows/*.yaml']);
    expect(deployed.stderr).toBe('');
    const { pool, schema } = fx.db;
    for (const scope of ['read', 'operate', 'admin'] as const)
      tokens[scope] = (await createApiToken(pool, schema, { name: `${scope}-token`, scope })).token;
    tokens.expired = (await createApiToken(pool, schema, { name: 'expired-token', scope: 'admin', expiresInMs: 60_000 })).token;
    await fx.sql(`update :s.api_tokens set expires_at = now() - interval '1 second' where name = 'expired-token'`);
    tokens.revoked = (await createApiToken(pool, schema, { name: 'revoked-token', scope: 'admin' })).token;
    await revokeApiToken(pool, schema, 'revoked-token');
    tokens.wrong = 'jm_' + 'A'.repeat(43);
    tokens.none = undefined;
    handler = createHandler({ pool, schema, pollIntervalMs: 100, ...options });
  });
  afterAll(() => handler?.close());
  return {
    ...fx,
    tokens,
    handler: () => handler!,
    async call(method, path, { as = 'admin', json, body, headers = {} } = {}) {
      const token = tokens[as];
      const init: RequestInit = {
        method,
        headers: {
          ...(token && { authorization: `Bearer ${token}` }),
          ...(json !== undefined && { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(json !== undefined && { body: JSON.stringify(json) }),
        ...(body !== undefined && { body }),
      };
      return await handler!(new Request(`http://jm.test${path}`, init));
    },
  };
}

/** Everything a refused request must leave as it was: jobs, history, schedules, workflow runs and tokens (but when they were last used). */
export async function stateFingerprint(fx: StatusFixture): Promise<string> {
  const [row] = await fx.sql<{ f: string }>(
    `select md5(concat_ws('|',
       (select string_agg(to_jsonb(j)::text, ',' order by j.id) from :s.jobs j),
       (select string_agg(to_jsonb(e)::text, ',' order by e.id) from :s.job_events e),
       (select string_agg(to_jsonb(s)::text, ',' order by s.name) from :s.schedules s),
       (select string_agg(to_jsonb(r)::text, ',' order by r.id) from :s.workflow_runs r),
       (select string_agg(to_jsonb(w)::text, ',' order by w.run_id, w.step_id) from :s.workflow_run_steps w),
       (select string_agg(concat_ws(',', t.name, t.scope, t.expires_at, t.revoked_at), ';' order by t.name) from :s.api_tokens t))) as f`,
  );
  return row!.f;
}
