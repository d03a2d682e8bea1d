import { InvalidAlertOptionError } from './alert-errors.js';
import { ALERT_ON_VALUES, type AlertOn, type FailureAlert } from './failure-alert.js';

/** A TypeScript alert handler: a throw (or a rejection) is a failed delivery, retried later. */
export type FailureAlertHandler = (alert: FailureAlert) => void | Promise<void>;

/**
 * Where a worker delivers failure alerts, and how. Alerts are recorded with the failure in
 * any case; a worker with a destination (this `webhook` or `command`, the worker's
 * `onJobFailed`, a task's `onFailure`) delivers them, with retries, a timeout per attempt and
 * a bounded rate, in a loop of its own beside claiming.
 */
export interface AlertOptions {
  /** POST each alert as JSON to this `http:` or `https:` URL; any 2xx answer is a delivery. (Default: none) */
  webhook?: string | URL;
  /**
   * Run this shell command once per alert, with the alert as JSON on standard input and as
   * `JM_ALERT_*` environment variables; exit status 0 is a delivery. (Default: none)
   */
  command?: string;
  /** `'final'`: alerts for jobs that failed for good; `'attempt'`: every failed attempt too. (Default: 'final') */
  on?: AlertOn;
  /** Milliseconds one destination may take to take one alert before the attempt counts as failed. (Default: 10,000) */
  timeoutMs?: number;
  /** Most deliveries started per second by this worker. (Default: 10) */
  perSecond?: number;
  /** Milliseconds before the first retry of an alert a destination refused, doubling for each further one. (Default: 1,000) */
  retryDelayMs?: number;
  /** Longest wait between retries, in milliseconds. (Default: 300,000: five minutes) */
  maxRetryDelayMs?: number;
  /** Alerts delivered at once. (Default: 4) */
  concurrency?: number;
}

/** Alert options with defaults applied and every value checked. */
export interface ResolvedAlertOptions {
  webhook: URL | null;
  command: string | null;
  on: AlertOn;
  timeoutMs: number;
  perSecond: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
  concurrency: number;
}

/** The longest wait a Node.js timer takes. */
const MAX_TIMER_MS = 2_147_483_647;

/** Reads a webhook URL: absolute, `http:` or `https:`. Throws InvalidAlertOptionError naming `option`. */
export function parseWebhookUrl(value: unknown, option: string): URL {
  const problem = 'must be an http:// or https:// URL';
  let url: URL;
  try {
    url = value instanceof URL ? value : new URL(String(value));
  } catch {
    throw new InvalidAlertOptionError(option, value, problem);
  }
  if ((typeof value !== 'string' && !(value instanceof URL)) || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.host) {
    throw new InvalidAlertOptionError(option, value, problem);
  }
  return url;
}

/** Reads `final` or `attempt`. Throws InvalidAlertOptionError naming `option`. */
export function parseAlertOn(value: unknown, option: string): AlertOn {
  if (typeof value === 'string' && (ALERT_ON_VALUES as readonly string[]).includes(value)) return value as AlertOn;
  throw new InvalidAlertOptionError(option, value, `must be ${ALERT_ON_VALUES.map((v) => `"${v}"`).join(' or ')}`);
}

/** Reads an alert command: a non-blank string. Throws InvalidAlertOptionError naming `option`. */
export function parseAlertCommand(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.includes('\0')) {
    throw new InvalidAlertOptionError(option, value, 'must be a non-empty shell command');
  }
  return value;
}

function positive(option: string, value: number | undefined, fallback: number, max: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) {
    throw new InvalidAlertOptionError(option, v, `must be a positive number of at most ${max}`);
  }
  return v;
}

/** Applies defaults and checks every alert option; throws InvalidAlertOptionError naming the bad one. */
export function resolveAlertOptions(options: AlertOptions = {}): ResolvedAlertOptions {
  const retryDelayMs = positive('alerts.retryDelayMs', options.retryDelayMs, 1_000, MAX_TIMER_MS);
  const concurrency = positive('alerts.concurrency', options.concurrency, 4, 1_000);
  if (!Number.isInteger(concurrency)) throw new InvalidAlertOptionError('alerts.concurrency', concurrency, 'must be an integer');
  return {
    webhook: options.webhook === undefined ? null : parseWebhookUrl(options.webhook, 'alerts.webhook'),
    command: options.command === undefined ? null : parseAlertCommand(options.command, 'alerts.command'),
    on: options.on === undefined ? 'final' : parseAlertOn(options.on, 'alerts.on'),
    timeoutMs: positive('alerts.timeoutMs', options.timeoutMs, 10_000, MAX_TIMER_MS),
    perSecond: positive('alerts.perSecond', options.perSecond, 10, 1_000_000),
    retryDelayMs,
    maxRetryDelayMs: Math.max(retryDelayMs, positive('alerts.maxRetryDelayMs', options.maxRetryDelayMs, 300_000, MAX_TIMER_MS)),
    concurrency,
  };
}

/** Milliseconds before retry number `failures` (1 = the first), doubling from `retryDelayMs` up to `maxRetryDelayMs`. */
export function alertRetryDelayMs(options: ResolvedAlertOptions, failures: number): number {
  return Math.min(options.maxRetryDelayMs, options.retryDelayMs * 2 ** Math.max(0, Math.min(failures - 1, 40)));
}
