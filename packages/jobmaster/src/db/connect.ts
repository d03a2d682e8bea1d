import pg from 'pg';
import { DatabaseUnavailableError } from '../errors.js';

// BIGINT ids and counts arrive as strings by default; keep ids as strings (they may exceed 2^53)
// but read int8 counts through explicit casts in SQL where a number is wanted.

/** Where a connection string points, for error messages (never includes the password). */
export function describeTarget(connectionString: string): string {
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
 * Opens a pool; errors from it are translated by `translateConnectionError`. Its sessions run
 * with JIT compilation off: JobMaster's queries read a handful of rows through indexes, but
 * on a large table the planner's cost estimate crosses jit_above_cost and compiling then
 * costs far more than the query (a `jm status` count over 100,000 jobs: 251 ms with JIT,
 * 31 ms without).
 */
export function createPool(connectionString: string, options: { max?: number; applicationName?: string } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'jobmaster',
    connectionTimeoutMillis: 10_000,
    options: '-c jit=off',
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
    (err?.message?.includes('Connection terminated unexpectedly') ? 'the server closed the connection' : undefined);
  if (!reason) return undefined;
  return new DatabaseUnavailableError(
    `Cannot connect to PostgreSQL at ${describeTarget(connectionString)} (${reason}); set DATABASE_URL or --database-url`,
    { cause: error },
  );
}
