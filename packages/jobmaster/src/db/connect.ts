import pg from 'pg';
import { ConfigError, DatabaseUnavailableError } from '../errors.js';

// BIGINT ids and counts arrive as strings by default; keep ids as strings (they may exceed 2^53)
// but read int8 counts through explicit casts in SQL where a number is wanted.

/** Where a connection string points, for error messages (never includes the password). */
export function describeTarget(connectionString: string): string {
  const socket = /^(?:socket:)?(\/[^?]*)/.exec(connectionString.trim())?.[1];
  if (socket !== undefined) return `the socket directory ${socket}`;
  try {
    const url = new URL(connectionString);
    const host = url.hostname || 'localhost';
    const port = url.port || '5432';
    const database = url.pathname.replace(/^\//, '') || '(default database)';
    return `${host}:${port}/${database}`;
  } catch {
    return 'the configured database';
  }
}

/**
 * The connection strings pg reads: a postgres:// or postgresql:// URL, a socket: URL, or a Unix
 * socket directory. pg takes anything else as a path relative to a host named "base".
 */
const CONNECTION_STRING = /^(postgres(ql)?:\/\/|socket:|\/)/i;

/** True when pg can read `text` as a connection string (see {@link checkConnectionString}). */
export function isConnectionString(text: string): boolean {
  return CONNECTION_STRING.test(text.trim());
}

/**
 * Fails with a one-line ConfigError naming where the string came from (`source`: `--database-url`,
 * `DATABASE_URL`, the config file's `"databaseUrl"`, the `databaseUrl` option) unless it is a
 * postgres:// URL, a socket: URL or a socket directory. Returns the string.
 */
export function checkConnectionString(connectionString: string, source = 'the connection string'): string {
  if (!isConnectionString(connectionString)) {
    throw new ConfigError(`${source} is not a postgres:// connection string: expected postgres://user:password@host:5432/database`);
  }
  const text = connectionString.trim();
  if (/^postgres(ql)?:\/\//i.test(text)) {
    // pg reads URLs with the URL parser, whose TypeError ("Invalid URL") would reach the user raw.
    const port = /^[^/]*\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?/.exec(text)?.[1];
    if (port !== undefined && port !== '' && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
      throw new ConfigError(`${source} names port ${JSON.stringify(port.slice(0, 20))}: a port is a number from 1 to 65535`);
    }
    try {
      new URL(text);
    } catch {
      throw new ConfigError(
        `${source} is not a valid connection string (check the characters of the user, password and host: special ones must be %-encoded)`,
      );
    }
  }
  return connectionString;
}

/** What every session of a JobMaster pool runs with (see createPool). */
const SESSION_SETTINGS = '-c jit=off -c max_parallel_workers_per_gather=0';

/**
 * Opens a pool after {@link checkConnectionString} (`source` names the string in its message);
 * errors from the pool are translated by `translateConnectionError`. Its sessions run with JIT
 * compilation and parallel query off: JobMaster's queries read a handful of rows through
 * indexes, or count through an index, but on a large table the planner's cost estimate crosses
 * jit_above_cost or the parallel thresholds, and compiling or starting workers then costs far
 * more than the query (a `jm status` count over 100,000 jobs: 251 ms with JIT, 31 ms without;
 * `GET /api/v1/status` over 1,000,000 jobs on 2 cores: 192 ms with two parallel workers, 50 ms
 * without). Settings in PGOPTIONS (libpq's variable, which node-postgres honours) still apply,
 * after these.
 */
export function createPool(connectionString: string, options: { max?: number; applicationName?: string; source?: string } = {}): pg.Pool {
  checkConnectionString(connectionString, options.source);
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'jobmaster',
    connectionTimeoutMillis: 10_000,
    options: [SESSION_SETTINGS, process.env.PGOPTIONS].filter(Boolean).join(' '),
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  return pool;
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused: is PostgreSQL running there?',
  ENOTFOUND: 'host not found: check the host name',
  EAI_AGAIN: 'host name lookup failed: check the host name',
  ETIMEDOUT: 'connection timed out: check the host, port and firewall',
  EHOSTUNREACH: 'host unreachable: check the host and network',
  ECONNRESET: 'connection reset by the server',
  ENOENT: 'no PostgreSQL socket there: check the socket directory and port',
  EACCES: 'permission denied on the socket: check who may use the socket directory',
};

const SERVER_CODES: Record<string, string> = {
  '28P01': 'password authentication failed: check the user and password',
  '28000': 'the server refused this user: check the user name and pg_hba.conf',
  '3D000': 'the database does not exist: create it or fix the database name',
  '57P03': 'the server is starting up or shutting down: try again shortly',
  '53300': 'the server has too many connections',
};

/**
 * Turns a failure to connect into one line naming host, port and what to check; returns
 * `undefined` for errors that are not about reaching the database.
 */
export function translateConnectionError(error: unknown, connectionString: string): DatabaseUnavailableError | undefined {
  const err = error as { code?: string; message?: string; errors?: Array<{ code?: string }> };
  const code = err?.code ?? err?.errors?.[0]?.code;
  const reason =
    (code && (NETWORK_CODES[code] ?? SERVER_CODES[code])) ??
    (err?.message?.includes('timeout exceeded when trying to connect')
      ? 'connection timed out: check the host, port and firewall'
      : undefined) ??
    (err?.message?.includes('Connection terminated unexpectedly') ? 'the server closed the connection' : undefined) ??
    (err?.message?.includes('does not support SSL')
      ? 'the server does not accept SSL connections: drop sslmode from the connection string or enable SSL on the server'
      : undefined);
  if (!reason) return undefined;
  return new DatabaseUnavailableError(
    `Cannot connect to PostgreSQL at ${describeTarget(connectionString)} (${reason}); set DATABASE_URL or --database-url`,
    { cause: error },
  );
}
