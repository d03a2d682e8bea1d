import type * as ChildProcess from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedDatabaseError } from './errors.js';

const SERVER_MAIN = fileURLToPath(new URL('./server-main.js', import.meta.url));

// Loaded when a server is started: a command that finds one running never needs it.
const childProcess = (): typeof ChildProcess => createRequire(import.meta.url)('node:child_process') as typeof ChildProcess;

/** A serving process this process started, and how it ended once it has. */
export interface StartedServer {
  pid: number;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

/** The log every serving process of `dataDir` appends to. */
export const serverLogPath = (dataDir: string): string => join(dataDir, 'server.log');

/** Starts `node server-main.js <dataDir>` detached, its output appended to the directory's log. */
export function startServer(dataDir: string): StartedServer {
  if (!existsSync(SERVER_MAIN)) {
    throw new EmbeddedDatabaseError(
      `The embedded database server is missing (${SERVER_MAIN}): build the @jobmaster/embedded package (pnpm build), or set DATABASE_URL`,
    );
  }
  const logFd = openSync(serverLogPath(dataDir), 'a');
  try {
    const child = childProcess().spawn(process.execPath, [SERVER_MAIN, dataDir], { detached: true, stdio: ['ignore', logFd, logFd] });
    const started: StartedServer = { pid: child.pid ?? 0 };
    child.on('exit', (code, signal) => (started.exit = { code, signal }));
    child.on('error', () => (started.exit = { code: null, signal: null }));
    child.unref();
    return started;
  } finally {
    closeSync(logFd);
  }
}

const FAILED_LINE = /^\S+ \[\d+\] failed: (.*)$/;

/**
 * Why a serving process of `dataDir` failed to start: the reason its last `failed:` line
 * gives (server-main writes the reason on that one line, its stack on the lines before), else
 * the last line of the log that is not part of a stack trace.
 */
export function startFailureReason(dataDir: string): string {
  let lines: string[];
  try {
    lines = readFileSync(serverLogPath(dataDir), 'utf8').trimEnd().split('\n');
  } catch {
    return '';
  }
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const failed = FAILED_LINE.exec(lines[i]!);
    if (failed) return failed[1]!.slice(0, 300);
  }
  const last = lines.filter((line) => line.trim() && !/^\s+at /.test(line)).at(-1) ?? '';
  return last.replace(/^\S+ \[\d+\] /, '').slice(0, 300);
}
