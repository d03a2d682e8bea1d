import type { WorkerQueries } from './worker-queries.js';

/**
 * Renews the leases of every job this worker holds with one `heartbeat` call per interval,
 * and reports which jobs are still held and which someone asked to cancel. A job sent but
 * missing from the answer was lost: its lease lapsed and the queue took it back.
 */
export class LeaseHeartbeat {
  #timer: NodeJS.Timeout | null = null;
  #beating: Promise<void> | null = null;
  #stopped = false;

  constructor(
    private readonly queries: WorkerQueries,
    private readonly workerId: string,
    private readonly leaseSeconds: number,
    private readonly intervalMs: number,
    private readonly heldIds: () => string[],
    /** Held jobs started since the last report (taken), and a way to give them back if the beat fails. */
    private readonly starts: { take: () => string[]; restore: (ids: string[]) => void },
    private readonly onBeat: (sent: string[], held: Map<string, boolean>) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.#stopped = false;
    this.#arm();
  }

  /** Stops beating; resolves when a beat in flight has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#beating;
  }

  #arm(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#beating = this.#beat().finally(() => {
        this.#beating = null;
        this.#arm();
      });
    }, this.intervalMs);
    this.#timer.unref();
  }

  async #beat(): Promise<void> {
    const ids = this.heldIds();
    const started = this.starts.take();
    try {
      const held = await this.queries.heartbeat(this.workerId, ids, this.leaseSeconds, started);
      if (!this.#stopped) this.onBeat(ids, held);
    } catch (error) {
      this.starts.restore(started);
      this.onError(error);
    }
  }
}
