/**
 * Measurement (not a test): where a NOTIFY arrives when one connection LISTENs and another
 * NOTIFYs through a socket server in front of PGlite. `jm run` sleeps on LISTEN and is woken
 * by the NOTIFY of whoever enqueues, so the notification must reach the listening connection.
 * Compares JobMaster's own wire server (packages/embedded/src/wire-server.ts) with
 * @electric-sql/pglite-socket, which is not a dependency: install it in a scratch directory.
 *
 *   pnpm build
 *   (mkdir -p /tmp/pgsock && cd /tmp/pgsock && npm init -y && npm install --legacy-peer-deps \
 *     @electric-sql/pglite-socket@0.2.17 @electric-sql/pglite@0.5.16)
 *   pnpm exec jiti bench/scripts/notify-routing.ts /tmp/pgsock
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

const NOTIFIES = 20;

interface Served {
  socketDir: string;
  stop(): Promise<void>;
}

interface Routing {
  toListener: number;
  toSender: number;
  medianMs: number | undefined;
}

/** LISTEN on one connection, NOTIFY NOTIFIES times on another; count what arrives where. */
async function measure(socketDir: string): Promise<Routing> {
  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client({ host: socketDir, port: 5432, user: 'postgres', database: 'postgres' });
    await client.connect();
    return client;
  };
  const listener = await connect();
  const sender = await connect();
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let toSender = 0;
  listener.on('notification', (n) => latencies.push(performance.now() - (sentAt.get(n.payload ?? '') ?? NaN)));
  sender.on('notification', () => (toSender += 1));
  await listener.query('listen jm_wake');
  for (let i = 0; i < NOTIFIES; i += 1) {
    sentAt.set(String(i), performance.now());
    await sender.query(`notify jm_wake, '${i}'`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // An idle listener must get them without sending anything itself; give them time to arrive.
  await new Promise((r) => setTimeout(r, 500));
  await listener.end();
  await sender.end();
  const sorted = [...latencies].sort((a, b) => a - b);
  return { toListener: latencies.length, toSender, medianMs: sorted[Math.floor(sorted.length / 2)] };
}

async function ownServer(): Promise<Served> {
  const embeddedRequire = createRequire(new URL('../../packages/embedded/package.json', import.meta.url));
  const { PGlite } = (await import(
    pathToFileURL(embeddedRequire.resolve('@electric-sql/pglite')).href
  )) as typeof import('@electric-sql/pglite');
  const { EmbeddedWireServer } = (await import(
    new URL('../../packages/embedded/dist/wire-server.js', import.meta.url).href
  )) as typeof import('../../packages/embedded/src/wire-server.js');
  const db = await PGlite.create();
  const socketDir = mkdtempSync(join(tmpdir(), 'jm-notify-'));
  const server = new EmbeddedWireServer(db);
  await server.listen(join(socketDir, '.s.PGSQL.5432'));
  return {
    socketDir,
    async stop() {
      await server.stopAccepting();
      await server.closeAll();
      await db.close();
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}

async function pgliteSocket(scratch: string): Promise<Served> {
  const scratchRequire = createRequire(join(scratch, 'package.json'));
  const { PGlite } = await import(pathToFileURL(scratchRequire.resolve('@electric-sql/pglite')).href);
  const { PGLiteSocketServer } = await import(pathToFileURL(scratchRequire.resolve('@electric-sql/pglite-socket')).href);
  const db = await PGlite.create();
  const socketDir = mkdtempSync(join(tmpdir(), 'jm-notify-'));
  const server = new PGLiteSocketServer({ db, path: join(socketDir, '.s.PGSQL.5432'), maxConnections: 10 });
  await server.start();
  return {
    socketDir,
    async stop() {
      await server.stop();
      await db.close();
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}

function report(name: string, routing: Routing): void {
  const latency = routing.medianMs === undefined ? '' : `, median ${routing.medianMs.toFixed(1)} ms after the NOTIFY`;
  console.log(
    `${name}: ${routing.toListener}/${NOTIFIES} notifications reached the LISTENing connection${latency}; ` +
      `${routing.toSender}/${NOTIFIES} came back to the sender`,
  );
}

const scratch = process.argv[2];
const own = await ownServer();
try {
  report('JobMaster wire server', await measure(own.socketDir));
} finally {
  await own.stop();
}
if (scratch) {
  const other = await pgliteSocket(scratch);
  try {
    report('@electric-sql/pglite-socket', await measure(other.socketDir));
  } finally {
    await other.stop();
  }
} else {
  console.log('(pass the directory where @electric-sql/pglite-socket is installed to measure it too)');
}
