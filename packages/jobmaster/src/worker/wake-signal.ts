/**
 * Lets the worker loop sleep until something worth a look happens (a notification, a job
 * finishing, outcomes written, a stop request) or a timeout passes. A wake that arrives
 * while nobody sleeps is remembered, so the next `wait` returns at once.
 */
export class WakeSignal {
  #pending = false;
  #resolve: (() => void) | null = null;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;

  /** Wakes at `at` (epoch ms), unless an earlier timed wake is already set. Does not keep the process alive. */
  wakeAt(at: number): void {
    if (at >= this.#timerAt) return;
    this.cancelTimedWake();
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#timerAt = Infinity;
        this.wake();
      },
      Math.max(0, at - Date.now()),
    );
    this.#timer.unref();
  }

  cancelTimedWake(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
  }

  wake(): void {
    const resolve = this.#resolve;
    if (resolve) {
      this.#resolve = null;
      resolve();
    } else {
      this.#pending = true;
    }
  }

  /** Forgets a remembered wake (called right before looking for work). */
  reset(): void {
    this.#pending = false;
  }

  /** Resolves on the next wake or after `ms`; the timer keeps the process alive meanwhile. */
  async wait(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => {
          this.#resolve = null;
          resolve();
        },
        Math.max(0, ms),
      );
      this.#resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
