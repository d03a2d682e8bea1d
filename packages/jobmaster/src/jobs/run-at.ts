import { InvalidArgumentsError } from '../errors.js';

/**
 * The earliest and latest times JobMaster hands to PostgreSQL: four-digit years, the ones that
 * `Date#toISOString` writes in the form timestamptz reads (a year past 9999 comes out as
 * `+275760-...`, which PostgreSQL cannot store).
 */
export const EARLIEST_TIME = Date.parse('0001-01-01T00:00:00.000Z');
/** See {@link EARLIEST_TIME}. */
export const LATEST_TIME = Date.parse('9999-12-31T23:59:59.999Z');

/** True when `at` is a real date PostgreSQL can store: years 1 to 9999. */
export function isStorableTime(at: Date): boolean {
  const ms = at.getTime();
  return !Number.isNaN(ms) && ms >= EARLIEST_TIME && ms <= LATEST_TIME;
}

/**
 * The run-at rule every door applies: a real date in the years 1 to 9999. `name` is what the
 * caller called it (`runAt`, `--run-at`) and `shown` how the caller wrote it, so the one-line
 * InvalidArgumentsError speaks the caller's language.
 */
export function checkRunAt(task: string, at: Date, name = 'runAt', shown?: string): Date {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new InvalidArgumentsError(`${task}: ${name} must be a valid Date`, { task, value: at });
  }
  if (!isStorableTime(at)) {
    throw new InvalidArgumentsError(
      `${task}: ${name} must be a time in the years 1 to 9999, got ${shown ?? JSON.stringify(at.toISOString())}`,
      { task, value: at },
    );
  }
  return at;
}
