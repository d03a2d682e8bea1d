import { lazyRequire } from '../util/lazy-require.js';

const cronParser = lazyRequire<typeof import('cron-parser')>('cron-parser');
import { InvalidScheduleError } from '../errors.js';
import { FIRST_YEAR, LAST_YEAR, parseYearField } from './year-field.js';

/**
 * A parsed cron expression in a time zone, able to list its ticks. Accepts
 * - 5 fields: `minute hour day-of-month month day-of-week` (ticks on the minute),
 * - 6 fields: `second minute hour day-of-month month day-of-week`,
 * - 7 fields: the 6 plus `year` (NUTS's and Quartz's form, e.g. `0 0 2 ? * * *`),
 * and cron-parser's `@daily`-style aliases. Field syntax is cron-parser's (`*`, `?`, lists,
 * ranges, steps, `L`, `#`, names such as `MON`); the year field is read here, since
 * cron-parser has none, and filters cron-parser's ticks.
 */
export class CronSchedule {
  /** The expression as given (trimmed). */
  readonly expression: string;
  /** How many fields it has (5, 6 or 7); an alias counts as 6. */
  readonly fieldCount: 5 | 6 | 7;
  /** IANA time zone the expression is read in. (Default: "UTC") */
  readonly timeZone: string;
  readonly #base: string;
  /** Allowed years, ascending; null = every year. */
  readonly #years: number[] | null;

  private constructor(expression: string, fieldCount: 5 | 6 | 7, timeZone: string, base: string, years: number[] | null) {
    this.expression = expression;
    this.fieldCount = fieldCount;
    this.timeZone = timeZone;
    this.#base = base;
    this.#years = years;
  }

  /**
   * Parses and checks an expression; throws InvalidScheduleError for an unknown time zone,
   * or naming the expression and the reason (wrong field count, a field's value out of its
   * range, a year field that allows no year at all, a day that never occurs).
   */
  static parse(expression: string, timeZone?: string | null): CronSchedule {
    const text = typeof expression === 'string' ? expression.trim() : '';
    const zone = timeZone ?? 'UTC';
    const fail = (reason: string): never => {
      throw new InvalidScheduleError(`Cron expression ${JSON.stringify(String(expression).slice(0, 100))} is invalid: ${reason}`);
    };
    if (!isTimeZone(zone)) {
      // The expression may be fine: the zone is the schedule's, not the expression's.
      throw new InvalidScheduleError(
        `unknown time zone ${JSON.stringify(String(zone).slice(0, 60))} (use an IANA name such as "Europe/Paris")`,
      );
    }
    if (text === '') fail('it is empty (write e.g. "*/10 * * * * *" for every 10 seconds)');
    const fields = text.split(/\s+/);
    let base = text;
    let years: number[] | null = null;
    let count: 5 | 6 | 7 = 6;
    if (text.startsWith('@')) {
      if (fields.length !== 1) fail('an alias such as @daily stands alone');
    } else if (fields.length === 5 || fields.length === 6) {
      count = fields.length;
    } else if (fields.length === 7) {
      count = 7;
      base = fields.slice(0, 6).join(' ');
      const year = parseYearField(fields[6]!);
      if ('problem' in year) fail(year.problem);
      else if (year.years.length < LAST_YEAR - FIRST_YEAR + 1) years = year.years;
    } else {
      fail(`it has ${fields.length} fields; write 5 (minute hour day month weekday), 6 (with seconds first) or 7 (with a year last)`);
    }
    try {
      cronParser().CronExpressionParser.parse(base, { tz: zone, strict: false });
    } catch (error) {
      fail(text.startsWith('@') ? (error as Error).message : explainRejection(base, error as Error));
    }
    const schedule = new CronSchedule(text, count, zone, base, years);
    if (schedule.#years?.length === 0) fail('its year field allows no year');
    return schedule;
  }

  /**
   * Parses and checks an expression for a schedule about to be declared or added: as
   * {@link CronSchedule.parse}, and it must have a tick after `now` (one whose last year has
   * passed, e.g. `0 0 0 1 1 ? 1999`, would never fire). Throws InvalidScheduleError.
   * Schedules already stored are read with `parse`: their last tick may rightly be past.
   */
  static parseUpcoming(expression: string, timeZone?: string | null, now = new Date()): CronSchedule {
    const schedule = CronSchedule.parse(expression, timeZone);
    if (schedule.next(now) === null) {
      throw new InvalidScheduleError(
        `Cron expression ${JSON.stringify(schedule.expression.slice(0, 100))} has no future tick: the schedule would never fire`,
      );
    }
    return schedule;
  }

  /** The first tick strictly after `after`, or null when there is none (its last year has passed). */
  next(after: Date): Date | null {
    let from = after;
    for (let guard = 0; guard < 1000; guard++) {
      const tick = this.#step(from, 'next');
      if (tick === null) return null;
      const year = this.#yearOf(tick);
      if (this.#years === null || this.#years.includes(year)) return tick;
      const nextYear = this.#years.find((y) => y > year);
      if (nextYear === undefined) return null;
      // Jump to just before the first instant of the next allowed year.
      from = new Date(this.#startOfYear(nextYear).getTime() - 1);
    }
    return null;
  }

  /** The latest tick at or before `atOrBefore`, or null when there is none. */
  latestAtOrBefore(atOrBefore: Date): Date | null {
    let before = new Date(atOrBefore.getTime() + 1);
    for (let guard = 0; guard < 1000; guard++) {
      const tick = this.#step(before, 'prev');
      if (tick === null) return null;
      const year = this.#yearOf(tick);
      if (this.#years === null || this.#years.includes(year)) return tick;
      const previousYear = [...this.#years].reverse().find((y) => y < year);
      if (previousYear === undefined) return null;
      before = this.#startOfYear(previousYear + 1);
    }
    return null;
  }

  /**
   * The ticks in [from, to], latest `limit` of them, oldest first. Walks back from `to`, so
   * a long gap costs at most `limit` steps.
   */
  latestTicks(from: Date, to: Date, limit: number): Date[] {
    const ticks: Date[] = [];
    let at: Date | null = to;
    while (ticks.length < limit && at !== null) {
      const tick = this.latestAtOrBefore(at);
      if (tick === null || tick < from) break;
      ticks.unshift(tick);
      at = new Date(tick.getTime() - 1);
    }
    return ticks;
  }

  #step(from: Date, direction: 'next' | 'prev'): Date | null {
    if (from.getUTCFullYear() > LAST_YEAR + 1 || from.getUTCFullYear() < FIRST_YEAR - 1) return null;
    try {
      const iterator = cronParser().CronExpressionParser.parse(this.#base, { tz: this.timeZone, currentDate: from });
      const date = direction === 'next' ? iterator.next() : iterator.prev();
      return new Date(date.getTime());
    } catch {
      // cron-parser gives up when no tick exists within its search horizon (e.g. 30 February).
      return null;
    }
  }

  #yearOf(instant: Date): number {
    return Number(new Intl.DateTimeFormat('en-US', { timeZone: this.timeZone, year: 'numeric' }).format(instant));
  }

  /** Midnight of 1 January of `year` in the schedule's zone. */
  #startOfYear(year: number): Date {
    const iterator = cronParser().CronExpressionParser.parse('0 0 0 1 1 *', {
      tz: this.timeZone,
      currentDate: new Date(Date.UTC(year - 1, 6, 1)),
    });
    return new Date(iterator.next().getTime());
  }
}

/** Names of cron-parser's six fields, in order. */
const FIELD_NAMES = ['second', 'minute', 'hour', 'day of month', 'month', 'day of week'];

/**
 * Why cron-parser rejected `base`, naming the field at fault and its allowed range, e.g.
 * `minute 61 is out of range 0-59`. cron-parser does not say which field it was reading, so
 * each field is tried alone (the others `*`); a reason no single field explains (30 February)
 * is cron-parser's own.
 */
function explainRejection(base: string, error: Error): string {
  const fields = base.split(/\s+/);
  const names = FIELD_NAMES.slice(FIELD_NAMES.length - fields.length);
  for (const [index, field] of fields.entries()) {
    try {
      cronParser().CronExpressionParser.parse(fields.map((f, i) => (i === index ? f : '*')).join(' '), { strict: false });
    } catch (fieldError) {
      const message = (fieldError as Error).message;
      const range = /got (?:value|range) (\S+) expected range (\d+-\d+)/.exec(message);
      if (range) return `${names[index]} ${range[1]} is out of range ${range[2]}`;
      return `${names[index]} ${JSON.stringify(field.slice(0, 40))}: ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
    }
  }
  return error.message;
}

/** True when `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  if (typeof zone !== 'string' || zone === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
