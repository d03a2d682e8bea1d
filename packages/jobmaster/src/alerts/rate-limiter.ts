/**
 * A token bucket: at most `perSecond` starts per second on average, with bursts of up to
 * one second's worth (at least one).
 */
export class RateLimiter {
  readonly #perSecond: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  constructor(perSecond: number, now = Date.now()) {
    this.#perSecond = perSecond;
    this.#burst = Math.max(1, perSecond);
    this.#tokens = this.#burst;
    this.#at = now;
  }

  /** Whole starts allowed now. */
  available(now = Date.now()): number {
    this.#refill(now);
    return Math.floor(this.#tokens);
  }

  /** Uses `n` starts. */
  take(n: number, now = Date.now()): void {
    this.#refill(now);
    this.#tokens -= n;
  }

  /** Milliseconds until the next start is allowed (0 when one is allowed now). */
  msUntilNext(now = Date.now()): number {
    this.#refill(now);
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.#perSecond) * 1000);
  }

  #refill(now: number): void {
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#perSecond);
    this.#at = now;
  }
}
