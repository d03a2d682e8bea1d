import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { prepareDataDir } from './data-dir.js';
import { readServerLock, releaseServerLock, tryCreateServerLock, updateServerLock, type ServerLock } from './server-lock.js';
import { copyTemplate } from './template.js';
import { EmbeddedWireServer } from './wire-server.js';

/**
 * PostgreSQL settings for the embedded database. PGlite's defaults (128 MB of shared
 * buffers) make a process resident at ~330 MB after opening; a job queue's working set is
 * small and the operating system caches the files anyway.
 */
export const EMBEDDED_POSTGRES_SETTINGS: Record<string, string> = {
  shared_buffers: '16MB',
  wal_buffers: '1MB',
  temp_buffers: '1MB',
  work_mem: '4MB',
  maintenance_work_mem: '16MB',
};

/** How long the server waits with no connection before it closes the database and exits. */
export const DEFAULT_IDLE_EXIT_MS = 2_000;

/** Where PostgreSQL's own files live inside the data directory. */
export const pgDataPath = (dataDir: string): string => join(dataDir, 'pgdata');

// Unix socket paths are limited to about 100 bytes; a deep data directory gets a socket
// directory under the system temporary directory, named after the data directory.
function socketDirectory(dataDir: string): string | undefined {
  if (process.platform === 'win32') return undefined;
  if (join(dataDir, '.s.PGSQL.5432').length <= 100) return dataDir;
  const dir = join(tmpdir(), `jm-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export interface ServeOptions {
  /** Exit after this long with no connection. (Default: 2,000 ms, or JM_EMBEDDED_IDLE_MS) */
  idleExitMs?: number;
  log?: (line: string) => void;
}

/**
 * Serves the embedded database in `dataDir` until it has been idle for `idleExitMs`.
 * Returns false at once when another live process already serves it.
 */
export async function serveEmbeddedDatabase(dataDir: string, options: ServeOptions = {}): Promise<boolean> {
  const log = options.log ?? (() => {});
  const idleExitMs = options.idleExitMs ?? DEFAULT_IDLE_EXIT_MS;
  prepareDataDir(dataDir);
  const socketDir = socketDirectory(dataDir);
  const lock: ServerLock = {
    pid: process.pid,
    host: socketDir ?? '127.0.0.1',
    port: socketDir ? 5432 : 0,
    command: process.argv.slice(1).join(' '),
    startedAt: new Date().toISOString(),
  };
  if (!tryCreateServerLock(dataDir, lock)) {
    log(`already served by pid ${readServerLock(dataDir)?.pid}`);
    return false;
  }
  let db: PGlite | undefined;
  let server: EmbeddedWireServer | undefined;
  try {
    const created = !existsSync(pgDataPath(dataDir));
    // A copy of the template made at build time; without one, creating the database (initdb)
    // peaks at ~750 MB, and a process keeps that memory: it is then created in a short-lived
    // child so the long-lived server stays near 200 MB.
    if (created) await createInChildProcess(dataDir);
    db = await openDatabase(dataDir);
    // The first transaction id this server hands out: ids from before it that did not survive
    // its crash recovery are handed out again, so a client asking about one of its
    // transactions lost with the previous server must know where this server's began.
    const { rows } = await db.query<{ next: string }>('select pg_snapshot_xmax(pg_current_snapshot())::text as next');
    const firstXid = rows[0]!.next;
    server = new EmbeddedWireServer(db);
    if (socketDir) rmSync(join(socketDir, '.s.PGSQL.5432'), { force: true });
    const address = await server.listen(socketDir && join(socketDir, '.s.PGSQL.5432'));
    updateServerLock(dataDir, { ...lock, port: typeof address === 'number' ? address : lock.port, ready: true, created, firstXid });
    log(`serving ${dataDir} on ${socketDir ?? `127.0.0.1:${address}`}${created ? ' (created)' : ''}`);
    await waitUntilIdle(server, idleExitMs);
    log('idle: closing');
    return true;
  } finally {
    await server?.stopAccepting().catch(() => {});
    await server?.closeAll().catch(() => {});
    await db?.close().catch((error: unknown) => log(`close failed: ${String(error)}`));
    if (socketDir) rmSync(join(socketDir, '.s.PGSQL.5432'), { force: true });
    releaseServerLock(dataDir);
  }
}

/**
 * Opens (creating if needed) the PGlite database of `dataDir` with the embedded settings;
 * `pgdata` overrides where its files are (Default: `<dataDir>/pgdata`).
 */
export async function openDatabase(dataDir: string, pgdata = pgDataPath(dataDir)): Promise<PGlite> {
  const settings = Object.entries(EMBEDDED_POSTGRES_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  // PGlite's own error says only "failed to initialize properly"; PostgreSQL's log says why.
  const recent: string[] = [];
  const onStderr = (line: string): boolean => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    return false;
  };
  try {
    return await PGlite.create({ dataDir: pgdata, startParams: [...PGlite.defaultStartParams, ...settings], onStderr });
  } catch (error) {
    const reason = postgresReason(recent);
    throw reason ? new Error(`PostgreSQL cannot open ${pgdata}: ${reason}`, { cause: error }) : error;
  }
}

/** The last FATAL or PANIC of PostgreSQL's log lines, with its DETAIL, as one line. */
function postgresReason(lines: string[]): string | undefined {
  const at = lines.findLastIndex((line) => /\b(FATAL|PANIC):/.test(line));
  if (at < 0) return undefined;
  const text = (line: string | undefined): string => line?.replace(/^.*?\b(FATAL|PANIC|DETAIL|HINT):\s*/, '') ?? '';
  const detail = lines[at + 1] && /\bDETAIL:/.test(lines[at + 1]!) ? ` (${text(lines[at + 1])})` : '';
  return `${text(lines[at])}${detail}`;
}

const CREATING_PREFIX = 'pgdata.creating-';

/**
 * Creates the database in a child process, in a directory of its own that is moved into
 * place only once complete: a creation killed half-way (the server or the child) leaves no
 * half-made `pgdata` behind, only a leftover that the next creation removes. The child's
 * reason for failing is the error thrown, so the client can quote it.
 */
async function createInChildProcess(dataDir: string): Promise<void> {
  for (const name of readdirSync(dataDir)) {
    if (name.startsWith(CREATING_PREFIX)) rmSync(join(dataDir, name), { recursive: true, force: true });
  }
  const creating = join(dataDir, `${CREATING_PREFIX}${process.pid}`);
  if (copyTemplate(creating)) {
    renameSync(creating, pgDataPath(dataDir));
    return;
  }
  const main = fileURLToPath(new URL('./server-main.js', import.meta.url));
  const child = spawn(process.execPath, [main, '--create', dataDir, creating], { stdio: ['ignore', 'inherit', 'pipe'] });
  let reason = '';
  child.stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    for (const line of chunk.toString('utf8').split('\n')) {
      const failed = / failed: (.*)$/.exec(line);
      if (failed) reason = failed[1]!;
    }
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
  });
  if (code !== 0) {
    const how = signal ? `was killed by ${signal}` : `failed: ${reason || `exit code ${code}`}`;
    throw new Error(`creating the database in ${pgDataPath(dataDir)}: the creating process (pid ${child.pid}) ${how}`);
  }
  renameSync(creating, pgDataPath(dataDir));
}

function waitUntilIdle(server: EmbeddedWireServer, idleExitMs: number): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const arm = (count: number): void => {
      clearTimeout(timer);
      if (count === 0) timer = setTimeout(resolve, idleExitMs);
    };
    server.onConnectionCount = arm;
    arm(server.connectionCount);
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => resolve());
  });
}
