/**
 * Gives the suite a real PostgreSQL server: JM_TEST_DATABASE_URL when set, otherwise a
 * throwaway server run by embedded-postgres-process.mjs in a child process (so its exit
 * hooks cannot touch vitest's exit code) and removed afterwards. Test files then isolate
 * themselves in schemas of their own (see test-database.ts).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

const SERVER_SCRIPT = fileURLToPath(new URL('./embedded-postgres-process.mjs', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const configured = process.env.JM_TEST_DATABASE_URL;
  if (configured) {
    project.provide('databaseUrl', configured);
    return async () => {};
  }
  const child = spawn(process.execPath, [SERVER_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    exited.then(([code]) => {
      throw new Error(`The test PostgreSQL server did not start (exit code ${code}); set JM_TEST_DATABASE_URL to use a running server`);
    }),
  ]);
  const { url } = JSON.parse(first) as { url: string };
  project.provide('databaseUrl', url);
  return async () => {
    child.stdin.end();
    await exited;
  };
}
