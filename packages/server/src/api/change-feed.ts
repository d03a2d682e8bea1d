import type pg from 'pg';
import { currentChangeCursor, readJobChanges, type ChangeCursor, type JobChange } from 'jobmaster';

type Listener = (changes: JobChange[]) => void;

/**
 * One poll of recent job changes shared by every open event stream of a handler: it runs
 * only while someone listens, reads the history rows and new jobs past its cursor (two
 * primary-key range reads), and hands each batch to every listener.
 */
export class ChangeFeed {
  readonly #listeners = new Set<Listener>();
  #timer: NodeJS.Timeout | undefined;
  #cursor: ChangeCursor | undefined;
  #polling = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly intervalMs: number,
  ) {}

  /** Starts listening; returns the function that stops. */
  async subscribe(listener: Listener): Promise<() => void> {
    if (this.#listeners.size === 0) {
      this.#cursor = await currentChangeCursor(this.pool, this.schema);
      this.#timer = setInterval(() => void this.#poll(), this.intervalMs);
      this.#timer.unref();
    }
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  /** Stops polling (listeners stay registered for a later start). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #poll(): Promise<void> {
    if (this.#polling || !this.#cursor) return;
    this.#polling = true;
    try {
      const { changes, cursor } = await readJobChanges(this.pool, this.schema, this.#cursor);
      this.#cursor = cursor;
      if (changes.length) for (const listener of this.#listeners) listener(changes);
    } catch {
      // A failed poll (the database restarting) is retried at the next tick from the same cursor.
    } finally {
      this.#polling = false;
    }
  }
}
