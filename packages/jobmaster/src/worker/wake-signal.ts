/**
 * Lets the worker loop sleep until something worth a look happens (a notification, a job
 * finishing, outcomes written, a stop request) or a timeout passes. A wake that arrives
 * while nobody sleeps is remembered, so the next `wait` returns at once.
 */
export class WakeSignal {
  #pending = false;
  #resolve: (() => void) | null = null;

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
      const timer = setTimeout(() => {
        this.#resolve = null;
        resolve();
      }, Math.max(0, ms));
      this.#resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
