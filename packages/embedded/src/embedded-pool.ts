import { resolve } from 'node:path';
import pg from 'pg';
import { EmbeddedDatabaseError } from './errors.js';
import { prepareDataDir } from './data-dir.js';
import { isAlive, readServerLock, removeStaleServerLock, type ServerLock } from './server-lock.js';
import { serverLogPath, startFailureReason, startServer, type StartedServer } from './server-start.js';

/** Options of `createEmbeddedPool`. */
export interface EmbeddedPoolOptions {
  /** The data directory (created if missing), e.g. `.jm` in the project. */
  dataDir: string;
  /** Connections in the pool. (Default: 10) */
  max?: number;
  /** `application_name` of the connections. (Default: "jobmaster") */
  applicationName?: string;
  /** Called once when this pool's first connection created the database. */
  onCreated?: (dataDir: string) => void;
  /** How long to wait for the database to start. (Default: 60,000 ms) */
  startTimeoutMs?: number;
}

interface Target {
  /** The serving process. */
  pid: number;
  /** The first transaction id it hands out (absent from servers started by an older version). */
  firstXid: string | undefined;
  host: string;
  port: number;
  /** Held open while the pool lives so the server does not exit between connections. */
  keepAlive: pg.Client;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function describeExit(started: StartedServer): string {
  return `its process (pid ${started.pid}) exited with code ${started.exit?.code}`;
}

function describeHolder(lock: ServerLock): string {
  return `pid ${lock.pid}${lock.command ? ` (${lock.command})` : ''}`;
}

/**
 * Finds the process serving `dataDir`, starting one (detached, exits when idle) if none
 * does, and connects to it. A lock left by a dead process is taken over.
 */
async function connectToServer(options: EmbeddedPoolOptions): Promise<Target & { created: boolean }> {
  const dataDir = options.dataDir;
  prepareDataDir(dataDir);
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  let started: StartedServer | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const lock = readServerLock(dataDir);
    if (!lock) {
      if (started?.exit) {
        // Exit code 0: it found the directory served by another process (which has gone
        // since, as after a crash when several clients restart it at once) or it went idle
        // before this process connected. Killed by a signal: it may have served others before
        // it was killed, like any crashed server. Either way nobody serves it now: start
        // another. Only an exit code (server-main logs why) means it could not start.
        if (started.exit.code !== 0 && started.exit.code !== null) {
          const reason = startFailureReason(dataDir);
          throw new EmbeddedDatabaseError(
            `The embedded database in ${dataDir} failed to start: ${reason || describeExit(started)} (details in ${serverLogPath(dataDir)})`,
          );
        }
        started = undefined;
      }
      started ??= startServer(dataDir);
      await sleep(25);
      continue;
    }
    if (!isAlive(lock.pid)) {
      removeStaleServerLock(dataDir, lock);
      started = undefined;
      // Another client may be taking the lock over at this moment: let it finish.
      if (readServerLock(dataDir)?.pid === lock.pid) await sleep(10);
      continue;
    }
    if (!lock.ready) {
      await sleep(25);
      continue;
    }
    const keepAlive = new pg.Client({
      host: lock.host,
      port: lock.port,
      user: 'postgres',
      database: 'postgres',
      application_name: 'jm keep-alive',
    });
    keepAlive.on('error', () => {});
    try {
      await keepAlive.connect();
      return {
        pid: lock.pid,
        firstXid: lock.firstXid,
        host: lock.host,
        port: lock.port,
        keepAlive,
        created: Boolean(lock.created) && lock.pid === started?.pid,
      };
    } catch (error) {
      // The server is closing (idle) or starting; look again.
      lastError = error;
      await keepAlive.end().catch(() => {});
      await sleep(25);
    }
  }
  const lock = readServerLock(dataDir);
  throw new EmbeddedDatabaseError(
    `The embedded database in ${dataDir} did not answer within ${Math.round((options.startTimeoutMs ?? 60_000) / 1000)} s` +
      (lock ? `; it is held by ${describeHolder(lock)}` : '') +
      `${lastError ? ` (${(lastError as Error).message})` : ''}; see ${serverLogPath(dataDir)}, or set DATABASE_URL`,
  );
}

const servers = new WeakMap<pg.Pool, () => Promise<Target>>();

/**
 * The first transaction id (xid8, as text) handed out by the server `pool` is connected to
 * (finding or starting one first), or undefined for a pool that is not an embedded one. A
 * server dying loses the transactions whose records it had not written yet, and the next one
 * hands their ids out again: an id at or above this one, from a transaction of the dead
 * server, names no transaction of that server that survived.
 */
export async function embeddedServerFirstXid(pool: pg.Pool): Promise<string | undefined> {
  return (await servers.get(pool)?.())?.firstXid;
}

/**
 * A `pg.Pool` on the embedded PostgreSQL (PGlite) kept in `dataDir`. Every process using the
 * directory connects to the one process that serves it, so several processes may use it at
 * once without losing writes; the serving process is started on the first connection and
 * exits a moment after the last pool closes. For concurrent production workers use a real
 * server (`DATABASE_URL`).
 */
export function createEmbeddedPool(options: EmbeddedPoolOptions): pg.Pool {
  const dataDir = resolve(options.dataDir);
  let target: Promise<Target> | undefined;
  let reportedCreation = false;
  let ended = false;
  let current: Target | undefined;
  const forget = (found: Target): void => {
    if (current !== found) return;
    current = undefined;
    target = undefined;
    found.keepAlive.end().catch(() => {});
  };
  const ensure = (): Promise<Target> => {
    if (ended) return Promise.reject(new EmbeddedDatabaseError('The embedded database pool has been closed'));
    // A server known to have died (its keep-alive's end may not have arrived yet): find the next.
    if (current && !isAlive(current.pid)) forget(current);
    target ??= connectToServer({ ...options, dataDir }).then(
      (found) => {
        if (found.created && !reportedCreation) {
          reportedCreation = true;
          options.onCreated?.(dataDir);
        }
        current = found;
        // If the serving process goes away, the next connection finds (or starts) another.
        found.keepAlive.on('end', () => forget(found));
        return found;
      },
      (error: unknown) => {
        target = undefined;
        throw error;
      },
    );
    return target;
  };

  class EmbeddedClient extends pg.Client {
    override connect(): Promise<pg.Client>;
    override connect(callback: (err: Error) => void): void;
    override connect(callback?: (err: Error) => void): Promise<pg.Client> | void {
      const connected = ensure().then(async (found) => {
        // pg reads host and port when it connects: point this client at the serving process.
        const self = this as unknown as { host: string; port: number };
        self.host = found.host;
        self.port = found.port;
        // A connection that breaks under a query means the server died: forget it at once, so
        // that a command repeating its work connects to a new one. pg emits 'error' here
        // before it rejects the query, while the keep-alive's own 'end' may come later.
        this.on('error', () => forget(found));
        return await super.connect();
      });
      if (!callback) return connected;
      connected.then(() => callback(undefined as unknown as Error), callback);
    }
  }

  const pool = new pg.Pool({
    Client: EmbeddedClient,
    user: 'postgres',
    database: 'postgres',
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'jobmaster',
  });
  pool.on('error', () => {});
  servers.set(pool, ensure);
  const endPool = pool.end.bind(pool);
  pool.end = (async () => {
    ended = true;
    await endPool();
    const found = await target?.catch(() => undefined);
    await found?.keepAlive.end().catch(() => {});
  }) as typeof pool.end;
  return pool;
}
