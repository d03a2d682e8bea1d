import type pg from 'pg';
import type { TokenScope } from 'jobmaster';
import type { ChangeFeed } from './api/change-feed.js';

/** Who is calling: the token presented and how (an API client's header or the dashboard's cookie). */
export interface Principal {
  tokenName: string;
  scope: TokenScope;
  via: 'bearer' | 'cookie';
}

/** What every route needs, fixed when the handler is created. */
export interface ServerContext {
  pool: pg.Pool;
  schema: string;
  /** Where the handler is mounted, '' for the root; never ends with '/'. */
  basePath: string;
  bodyLimit: number;
  bulkCap: number;
  feed: ChangeFeed;
  /** Marks the session cookie Secure. */
  secureCookies: boolean;
}

/** Hono's typing of the per-request variables. */
export interface ServerEnv {
  Variables: {
    principal: Principal | null;
    /** Why no principal: the 401 message. */
    authProblem: string;
  };
}
