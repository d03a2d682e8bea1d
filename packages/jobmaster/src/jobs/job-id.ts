import { InvalidJobIdError } from '../errors.js';

const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** A job id as given by a user or a caller: `"42"`, `42` or `42n`. */
export type JobIdInput = string | number | bigint;

/**
 * Checks a job id and returns it as a decimal string (the form PostgreSQL's bigint ids take
 * in JavaScript). Anything that is not a positive integer is an `InvalidJobIdError`.
 */
export function parseJobId(id: JobIdInput): string {
  const text = typeof id === 'string' ? id.trim() : typeof id === 'number' && !Number.isSafeInteger(id) ? 'x' : String(id);
  if (!/^\d{1,19}$/.test(text) || BigInt(text) < 1n || BigInt(text) > MAX_BIGINT) throw new InvalidJobIdError(String(id));
  return BigInt(text).toString();
}
