import { InvalidArgumentsError } from 'jobmaster';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Reads a duration such as `500ms`, `15m`, `1h30m`, `7d`; returns milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)];
  if (!trimmed || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new InvalidArgumentsError(`${flag} must be a duration such as 30s, 15m, 1h or 7d, got ${JSON.stringify(text)}`);
  }
  return parts.reduce((total, p) => total + Number(p[1]) * UNITS[p[2]!]!, 0);
}

/** Reads a positive integer flag. */
export function parsePositiveInteger(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) {
    throw new InvalidArgumentsError(`${flag} must be a positive integer, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}
