// Why a wire server of our own rather than @electric-sql/pglite-socket: pglite-socket hands
// PGlite's output to the connection whose message produced it, so a NOTIFY comes back to the
// connection that sent it, never to the one that LISTENs, and `jm run`'s LISTEN/NOTIFY
// wake-ups would never fire (workers would only notice new jobs by polling). Measured
// 2026-12-03 with `pnpm exec jiti bench/scripts/notify-routing.ts /tmp/pgsock` (pglite-socket
// 0.2.17, PGlite 0.5.16; 20 NOTIFYs on one connection, LISTEN on another): pglite-socket
// delivered 0/20 to the listener and 20/20 back to the sender; this server 20/20 to the
// listener (median 0.9 ms after the NOTIFY) and 0/20 to the sender.

import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

// Serves one PGlite instance over the PostgreSQL wire protocol so that JobMaster's ordinary
// pg.Pool code runs unchanged on it. PGlite is a single backend (one session), so the server
// gives one connection at a time the database for a whole request cycle: from its first
// message to the ReadyForQuery that ends a Sync or simple Query outside a transaction block.
// Messages of two connections are never interleaved (an unnamed statement or an open
// transaction of one connection is never seen by another). Notifications, which PGlite
// returns to whichever connection caused them, are routed to the connections that LISTEN.

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const SYNC_MESSAGE = Uint8Array.from([0x53, 0, 0, 0, 4]);

interface Connection {
  socket: Socket;
  buffer: Buffer;
  started: boolean;
  /** Complete messages waiting to run, in order. */
  pending: Buffer[];
  running: boolean;
  /** Channels this connection listens on. */
  channels: Set<string>;
  /** Inside an extended-protocol cycle that has not reached Sync yet. */
  midCycle: boolean;
  closed: boolean;
}

/** A PostgreSQL wire-protocol front for one PGlite database. */
export class EmbeddedWireServer {
  readonly #db: PGlite;
  readonly #server: Server;
  readonly #connections = new Set<Connection>();
  #owner: Connection | undefined;
  readonly #waiting: Array<() => void> = [];
  /** Called when the number of open connections changes. */
  onConnectionCount: (count: number) => void = () => {};

  constructor(db: PGlite) {
    this.#db = db;
    this.#server = createServer((socket) => this.#accept(socket));
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Listens on a Unix socket path, or on 127.0.0.1 with an ephemeral port when `path` is undefined. */
  async listen(path: string | undefined): Promise<string | number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      if (path) this.#server.listen(path, () => resolve());
      else this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = this.#server.address();
    return typeof address === 'object' && address ? address.port : (path ?? '');
  }

  /** Stops accepting connections; open ones keep running until they end. */
  async stopAccepting(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Ends every connection (rolling back what they left open). */
  async closeAll(): Promise<void> {
    for (const connection of [...this.#connections]) connection.socket.destroy();
    while (this.#connections.size > 0 || this.#owner) await new Promise((r) => setTimeout(r, 10));
  }

  #accept(socket: Socket): void {
    socket.setNoDelay(true);
    const connection: Connection = {
      socket,
      buffer: Buffer.alloc(0),
      started: false,
      pending: [],
      running: false,
      channels: new Set(),
      midCycle: false,
      closed: false,
    };
    this.#connections.add(connection);
    this.onConnectionCount(this.#connections.size);
    socket.on('data', (chunk) => {
      connection.buffer = connection.buffer.length ? Buffer.concat([connection.buffer, chunk]) : chunk;
      this.#frame(connection);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      connection.closed = true;
      connection.pending.length = 0;
      if (!connection.running) void this.#finish(connection);
    });
  }

  /** Splits the byte stream into messages and answers the ones that never reach PostgreSQL. */
  #frame(connection: Connection): void {
    for (;;) {
      const buffer = connection.buffer;
      if (!connection.started) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (buffer.length < length) return;
        const code = buffer.readInt32BE(4);
        const message = buffer.subarray(0, length);
        connection.buffer = buffer.subarray(length);
        if (code === SSL_REQUEST || code === GSS_REQUEST) {
          connection.socket.write('N');
        } else if (code === CANCEL_REQUEST) {
          connection.socket.end(); // Cancelling is not supported; the request is ignored.
          return;
        } else {
          if (code !== PROTOCOL_3) {
            connection.socket.destroy();
            return;
          }
          connection.started = true;
          connection.pending.push(message);
        }
        continue;
      }
      if (buffer.length < 5) break;
      const length = 1 + buffer.readInt32BE(1);
      if (buffer.length < length) break;
      const message = buffer.subarray(0, length);
      connection.buffer = buffer.subarray(length);
      if (message[0] === 0x58 /* Terminate */) {
        connection.socket.end();
        return;
      }
      connection.pending.push(message);
    }
    void this.#drain(connection);
  }

  async #drain(connection: Connection): Promise<void> {
    if (connection.running) return;
    connection.running = true;
    try {
      while (connection.pending.length > 0 && !connection.closed) {
        const message = connection.pending.shift()!;
        await this.#acquire(connection);
        const status = this.#deliver(connection, await this.#exec(message));
        if (message[0] === 0x51 /* Query */ || message[0] === 0x50 /* Parse */) await this.#trackListen(connection, message);
        // Until a ReadyForQuery arrives the connection is inside an extended-protocol cycle.
        connection.midCycle = status === undefined;
        // The database is handed on only at a ReadyForQuery outside a transaction block.
        if (status === 'I') this.#release(connection);
      }
    } finally {
      connection.running = false;
      if (connection.closed) await this.#finish(connection);
    }
  }

  async #exec(message: Uint8Array): Promise<Uint8Array> {
    return await this.#db.runExclusive(async () => await this.#db.execProtocolRaw(message));
  }

  /** Writes PGlite's answer to the connection; returns the status of its last ReadyForQuery, if any. */
  #deliver(connection: Connection, output: Uint8Array): string | undefined {
    let status: string | undefined;
    let offset = 0;
    let keepFrom = 0;
    const parts: Uint8Array[] = [];
    while (offset + 5 <= output.length) {
      const type = output[offset]!;
      const length = 1 + new DataView(output.buffer, output.byteOffset + offset + 1, 4).getInt32(0);
      if (type === 0x5a /* ReadyForQuery */) status = String.fromCharCode(output[offset + 5]!);
      if (type === 0x41 /* NotificationResponse */) {
        parts.push(output.subarray(keepFrom, offset));
        this.#route(output.subarray(offset, offset + length));
        keepFrom = offset + length;
      }
      offset += length;
    }
    parts.push(output.subarray(keepFrom));
    for (const part of parts) if (part.length && !connection.closed) connection.socket.write(part);
    return status;
  }

  /** Sends one NotificationResponse to every connection listening on its channel. */
  #route(notification: Uint8Array): void {
    const end = notification.indexOf(0, 9);
    const channel = Buffer.from(notification.subarray(9, end)).toString('utf8');
    for (const connection of this.#connections) {
      if (connection.channels.has(channel) && !connection.closed) connection.socket.write(notification);
    }
  }

  /**
   * Follows LISTEN / UNLISTEN statements so notifications reach the right connections. The
   * single session must keep listening while any connection wants a channel, so an UNLISTEN
   * of one connection is undone for the others.
   */
  async #trackListen(connection: Connection, message: Uint8Array): Promise<void> {
    const start = message[0] === 0x50 ? message.indexOf(0, 5) + 1 : 5;
    const text = Buffer.from(message.subarray(start, message.indexOf(0, start))).toString('utf8');
    if (!/listen/i.test(text)) return;
    for (const match of text.matchAll(/(?:^|;)\s*(listen|unlisten)\s+("(?:[^"]|"")+"|\*|[^\s;]+)/gi)) {
      const verb = match[1]!.toLowerCase();
      const raw = match[2]!;
      const channel = raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw.toLowerCase();
      if (verb === 'listen') connection.channels.add(channel);
      else if (channel === '*') connection.channels.clear();
      else connection.channels.delete(channel);
    }
    for (const channel of this.#wantedChannels()) await this.#exec(queryMessage(`listen ${quoteChannel(channel)}`));
  }

  #wantedChannels(): Set<string> {
    return new Set([...this.#connections].flatMap((c) => [...c.channels]));
  }

  async #acquire(connection: Connection): Promise<void> {
    while (this.#owner && this.#owner !== connection) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#owner = connection;
  }

  #release(connection: Connection): void {
    if (this.#owner !== connection) return;
    this.#owner = undefined;
    this.#waiting.shift()?.();
  }

  /** A connection ended: finish its cycle, roll back what it left open, stop listening for it alone. */
  async #finish(connection: Connection): Promise<void> {
    if (!this.#connections.delete(connection)) return;
    await this.#acquire(connection);
    try {
      if (connection.midCycle) await this.#exec(SYNC_MESSAGE);
      if (this.#db.isInTransaction()) await this.#exec(queryMessage('rollback'));
      const wanted = this.#wantedChannels();
      for (const channel of connection.channels) {
        if (!wanted.has(channel)) await this.#exec(queryMessage(`unlisten ${quoteChannel(channel)}`));
      }
    } finally {
      this.#release(connection);
    }
    this.onConnectionCount(this.#connections.size);
  }
}

function quoteChannel(channel: string): string {
  return `"${channel.replace(/"/g, '""')}"`;
}

/** A simple-protocol Query message. */
function queryMessage(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message[0] = 0x51;
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}
