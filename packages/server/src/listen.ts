import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { JobMasterHandler } from './create-handler.js';

/** A handler listening on a port. */
export interface ListeningServer {
  /** The address it answers on, e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  /** Stops accepting connections, ends open ones (event streams included) and stops the handler's polling. */
  close(): Promise<void>;
}

/** Serves a handler with node:http on `host:port` (port 0 picks a free one). */
export async function listen(handler: JobMasterHandler, options: { port: number; host: string }): Promise<ListeningServer> {
  const server = createAdaptorServer({ fetch: handler, port: options.port, hostname: options.host }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      handler.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** True for an address only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
