import type pg from 'pg';
import { retryDelayMs } from './retry-delay.js';

/**
 * Holds one connection that LISTENs on the schema's channel and calls `onNotify` for every
 * notification (enqueue, recovered leases, released jobs, dependencies done). When the
 * connection drops it reconnects (see retryDelayMs: at most a second apart), telling
 * `onConnection`; after a reconnect it calls `onNotify` once, since jobs may have arrived
 * while it was away.
 */
export class NotificationListener {
  #client: pg.PoolClient | null = null;
  #stopped = false;
  #retryTimer: NodeJS.Timeout | null = null;
  #failures = 0;
  #wasLost = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly channel: string,
    private readonly onNotify: () => void,
    private readonly onConnection: (state: 'lost' | 'restored', message: string) => void,
  ) {}

  /** Connects and listens; the first failure is thrown (the caller decides whether to go on without it). */
  async start(): Promise<void> {
    await this.#connect();
  }

  /** Stops listening and returns the connection to the pool; `destroy` closes it without a round trip. */
  async stop({ destroy = false } = {}): Promise<void> {
    this.#stopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = null;
    if (!client) return;
    client.removeAllListeners('notification');
    if (destroy) {
      client.removeAllListeners();
      client.on('error', () => {});
      client.release(new Error('worker abandoned'));
      return;
    }
    try {
      await client.query(`unlisten ${quoteChannel(this.channel)}`);
      client.release();
    } catch (error) {
      client.release(error as Error);
    }
  }

  async #connect(): Promise<void> {
    const client = await this.pool.connect();
    const onLost = (error?: Error): void => this.#lost(client, error);
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', () => this.onNotify());
    try {
      await client.query(`listen ${quoteChannel(this.channel)}`);
    } catch (error) {
      client.removeAllListeners();
      client.release(error as Error);
      throw error;
    }
    if (this.#stopped) {
      client.removeAllListeners();
      client.release();
      return;
    }
    this.#client = client;
    this.#failures = 0;
    if (this.#wasLost) {
      this.#wasLost = false;
      this.onConnection('restored', `listening on ${this.channel} again`);
      this.onNotify();
    }
  }

  #lost(client: pg.PoolClient, error?: Error): void {
    if (this.#client !== client) return;
    this.#client = null;
    client.removeAllListeners();
    client.on('error', () => {});
    client.release(error ?? new Error('connection ended'));
    if (this.#stopped) return;
    this.#wasLost = true;
    this.onConnection('lost', `the LISTEN connection dropped (${error?.message ?? 'connection ended'}); reconnecting`);
    this.#retry();
  }

  #retry(): void {
    if (this.#stopped) return;
    this.#retryTimer = setTimeout(() => {
      this.#connect().catch(() => this.#retry());
    }, retryDelayMs(++this.#failures));
    this.#retryTimer.unref();
  }
}

function quoteChannel(channel: string): string {
  return `"${channel.replace(/"/g, '""')}"`;
}
