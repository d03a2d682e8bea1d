/**
 * The detached process that serves an embedded database: `node server-main.js <dataDir>`.
 * `node server-main.js --create <dataDir> <pgdata>` only creates a database in `pgdata` (run
 * by the server, which holds the directory's lock, so that initdb's memory dies with that
 * short-lived child; the server moves the finished database into place).
 * Started by `createEmbeddedPool` when nobody serves the directory; exits when idle.
 * Its output goes to `<dataDir>/server.log`.
 */
import { DEFAULT_IDLE_EXIT_MS, openDatabase, serveEmbeddedDatabase } from './embedded-server.js';

const createOnly = process.argv[2] === '--create';
const dataDir = process.argv[createOnly ? 3 : 2];
const createIn = process.argv[4];
if (!dataDir) {
  process.stderr.write('usage: server-main.js <data directory>\n');
  process.exit(2);
}
const idle = Number(process.env.JM_EMBEDDED_IDLE_MS);
const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} [${process.pid}] ${line}\n`);
try {
  if (createOnly) {
    await (await openDatabase(dataDir, createIn)).close();
    process.exit(0);
  }
  await serveEmbeddedDatabase(dataDir, { idleExitMs: Number.isFinite(idle) && idle >= 0 ? idle : DEFAULT_IDLE_EXIT_MS, log });
  process.exit(0);
} catch (error) {
  // The stack first, the reason last on a line of its own: a client quotes that line.
  if ((error as Error)?.stack) log(`stack: ${(error as Error).stack}`);
  log(`failed: ${firstLine(error)}`);
  process.exit(1);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').find((line) => line.trim()) ?? 'unknown error';
}
