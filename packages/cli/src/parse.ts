import { EARLIEST_TIME, InvalidArgumentsError } from 'jobmaster';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** The largest value of a PostgreSQL `integer`, the type of the counts and budgets jm stores. */
export const MAX_INTEGER = 2_147_483_647;

/** The longest wait a timer flag takes: Node.js timers hold at most 2^31 - 1 ms (24.8 days) and fire at once beyond. */
const MAX_WAIT_MS = 24 * 86_400_000;

function durationParts(text: string): RegExpMatchArray[] | undefined {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)];
  return trimmed && parts.map((p) => p[0]).join('') === trimmed ? parts : undefined;
}

/** True when `text` is a duration `parseDuration` reads. */
export function isDuration(text: string): boolean {
  return durationParts(text) !== undefined;
}

/** Reads a duration such as `500ms`, `15m`, `1h30m`, `7d`; returns milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const parts = durationParts(text);
  if (!parts) {
    throw new InvalidArgumentsError(`${flag} must be a duration such as 30s, 15m, 1h or 7d, got ${JSON.stringify(text)}`);
  }
  return parts.reduce((total, p) => total + Number(p[1]) * UNITS[p[2]!]!, 0);
}

/**
 * Reads a duration jm waits with a timer (`--lease`, `--poll`): longer than 0s (or 0s with
 * `allowZero`) and at most 24 days.
 */
export function parseWait(text: string, flag: string, { allowZero = false } = {}): number {
  const ms = parseDuration(text, flag);
  if (ms === 0 && !allowZero) throw new InvalidArgumentsError(`${flag} must be longer than 0s, got ${JSON.stringify(text)}`);
  if (ms > MAX_WAIT_MS) throw new InvalidArgumentsError(`${flag} must be at most 24d, got ${JSON.stringify(text)}`);
  return ms;
}

/** Reads a duration counted back from `now` (`--since`, `--older-than`); it may not reach back before the year 1. */
export function parseAge(text: string, flag: string, now = Date.now()): number {
  const ms = parseDuration(text, flag);
  if (now - ms < EARLIEST_TIME) {
    throw new InvalidArgumentsError(`${flag} is too long: it reaches back before the year 1, got ${JSON.stringify(text)}`);
  }
  return ms;
}

/** Reads a positive integer flag that PostgreSQL stores as an `integer`. */
export function parsePositiveInteger(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) {
    throw new InvalidArgumentsError(`${flag} must be a positive integer, got ${JSON.stringify(text)}`);
  }
  if (Number(text) > MAX_INTEGER) throw new InvalidArgumentsError(`${flag} must be at most ${MAX_INTEGER}, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** Reads a port flag (`--port`, `--metrics-port`): 0 to 65535, 0 meaning any free port. */
export function parsePort(text: string, flag: string): number {
  if (!/^\d{1,5}$/.test(text.trim()) || Number(text) > 65535) {
    throw new InvalidArgumentsError(`${flag} must be a port number from 0 to 65535, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}
