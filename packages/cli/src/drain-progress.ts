import { countRemainingJobs, type Queryable, type WorkerEvent } from 'jobmaster';
import type { Output } from './output.js';

/** The figures one progress line shows. */
export interface ProgressFigures {
  done: number;
  /** Waiting jobs due now plus running jobs, as last counted; null before the first count. */
  remaining: number | null;
  elapsedMs: number;
}

/** `done 1,200 · remaining 3,400 · 850 jobs/s · 1.4 s` */
export function formatProgress({ done, remaining, elapsedMs }: ProgressFigures): string {
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(done / seconds) : 0;
  const n = (x: number): string => x.toLocaleString('en-US');
  return [
    `done ${n(done)}`,
    `remaining ${remaining === null ? '…' : n(remaining)}`,
    `${n(rate)} job${rate === 1 ? '' : 's'}/s`,
    `${seconds.toFixed(1)} s`,
  ].join(' · ');
}

/**
 * A live line for `jm run --until-empty` on a terminal: redrawn in place on stderr, counting
 * the jobs this worker finished and the jobs left in the queue. Lines logged meanwhile go
 * through `output`, which clears the progress line first so the two never mix.
 */
export class DrainProgress {
  readonly output: Output;
  #done = 0;
  #remaining: number | null = null;
  #started = Date.now();
  #timers: NodeJS.Timeout[] = [];
  #shown = false;

  constructor(
    out: Output,
    private readonly db: Queryable,
    private readonly schema: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.output = { ...out, error: (text) => (this.#clear(), out.error(text)) };
  }

  start(): void {
    this.#started = Date.now();
    void this.#count();
    this.#timers.push(setInterval(() => this.#draw(), 200).unref(), setInterval(() => void this.#count(), 1000).unref());
  }

  onEvent(event: WorkerEvent): void {
    if (event.type === 'job-end' || event.type === 'job-handled') this.#done++;
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#clear();
  }

  async #count(): Promise<void> {
    try {
      this.#remaining = await countRemainingJobs(this.db, this.schema);
    } catch {
      // Progress is decoration: a failed count leaves the last figure.
    }
  }

  #draw(): void {
    this.stream.write(
      `\r\u001b[2K${formatProgress({ done: this.#done, remaining: this.#remaining, elapsedMs: Date.now() - this.#started })}`,
    );
    this.#shown = true;
  }

  #clear(): void {
    if (this.#shown) this.stream.write('\r\u001b[2K');
    this.#shown = false;
  }
}
