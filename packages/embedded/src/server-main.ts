/**
 * The detached process that serves an embedded database: `node server-main.js <dataDir>`.
 * `node server-main.js --create <dataDir>` only creates the database (run by the server, which
 * holds the directory's lock, so that initdb's memory dies with that short-lived child).
 * Started by `createEmbeddedPool` when nobody serves the directory; exits when idle.
 * Its output goes to `<dataDir>/server.log`.
 */
import { DEFAULT_IDLE_EXIT_MS, openDatabase, serveEmbeddedDatabase } from './embedded-server.js';

const createOnly = process.argv[2] === '--create';
const dataDir = process.argv[createOnly ? 3 : 2];
if (!dataDir) {
  process.stderr.write('usage: server-main.js <data directory>\n');
  process.exit(2);
}
const idle = Number(process.env.JM_EMBEDDED_IDLE_MS);
const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} [${process.pid}] ${line}\n`);
try {
  if (createOnly) {
    await (await openDatabase(dataDir)).close();
    process.exit(0);
  }
  await serveEmbeddedDatabase(dataDir, { idleExitMs: Number.isFinite(idle) && idle >= 0 ? idle : DEFAULT_IDLE_EXIT_MS, log });
  process.exit(0);
} catch (error) {
  log(`failed: ${(error as Error)?.stack ?? String(error)}`);
  process.exit(1);
}
