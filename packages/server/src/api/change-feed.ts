import type pg from 'pg';
import { START_OVERLAP_MS, currentChangeCursor, readJobChanges, type ChangeCursor, type JobChange } from 'jobmaster';

type Listener = (changes: JobChange[]) => void;

/**
 * One poll of recent job changes shared by every open event stream of a handler: it runs
 * only while someone listens, reads the history rows and new jobs past its cursor (two
 * primary-key range reads) and the starts among running jobs, and hands each batch to every
 * listener once.
 */
export class ChangeFeed {
  readonly #listeners = new Set<Listener>();
  #timer: NodeJS.Timeout | undefined;
  #cursor: ChangeCursor | undefined;
  #polling = false;
  /** Changes already sent, by job, status and time, kept while a re-read could repeat them. */
  readonly #sent = new Map<string, number>();

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
      const now = Date.now();
      for (const [key, at] of this.#sent) if (now - at > 2 * START_OVERLAP_MS) this.#sent.delete(key);
      const fresh = changes.filter((change) => {
        const key = `${change.jobId}:${change.status}:${change.at.getTime()}`;
        if (this.#sent.has(key)) return false;
        this.#sent.set(key, now);
        return true;
      });
      if (fresh.length) for (const listener of this.#listeners) listener(fresh);
    } catch {
      // A failed poll (the database restarting) is retried at the next tick from the same cursor.
    } finally {
      this.#polling = false;
    }
  }
}
