/**
 * Helpers for tests of the embedded database: a throwaway data directory, `jm` run with no
 * DATABASE_URL and JM_DATA_DIR pointing at it, and a clean stop of the serving process.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJm, runNodeScript, type JmResult } from '../support/run-jm.js';

export interface EmbeddedDir {
  dataDir: string;
  /** Runs the built `jm` on this directory (no DATABASE_URL). */
  jm(args: string[]): Promise<JmResult>;
  /** The serving process named by the lock, if any. */
  lock(): { pid: number; host: string; port: number; ready?: boolean } | undefined;
  /** Stops the serving process (SIGTERM), waits for it to release the directory, removes it. */
  dispose(): Promise<void>;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function makeEmbeddedDir(): EmbeddedDir {
  const dataDir = mkdtempSync(join(tmpdir(), 'jm-embedded-'));
  const lock = (): { pid: number; host: string; port: number; ready?: boolean } | undefined => {
    try {
      return JSON.parse(readFileSync(join(dataDir, 'server.lock'), 'utf8')) as { pid: number; host: string; port: number; ready?: boolean };
    } catch {
      return undefined;
    }
  };
  return {
    dataDir,
    jm: (args) => runJm(args, { env: { JM_DATA_DIR: dataDir } }),
    lock,
    async dispose() {
      const held = lock();
      if (held && isAlive(held.pid)) {
        process.kill(held.pid, 'SIGTERM');
        await waitFor(() => !isAlive(held.pid), `server ${held.pid} to exit`);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts a node script (from the repo root) with the clean environment; resolves with its output. */
export function runNode(script: string, args: string[], env: Record<string, string> = {}): Promise<JmResult> {
  return runNodeScript(script, args, { env });
}

export const fileExists = existsSync;
