// Cron parsing agrees with cron-parser's own results: 5- and 6-field expressions give
// exactly cron-parser's ticks; 7-field expressions give cron-parser's ticks of the first six
// fields, kept only in the years of the seventh; time zones, daylight saving included.
// CronSchedule and planTicks are internals: all four come from the source, so the error class matches.
import { CronSchedule, parseCatchUp, planTicks } from '../../packages/jobmaster/src/schedule/index.js';
import { InvalidScheduleError } from '../../packages/jobmaster/src/errors.js';
import { createRequire } from 'node:module';
import type { CronExpressionParser as Parser } from '../../packages/jobmaster/node_modules/cron-parser/dist/types/index.js';
import { describe, expect, test } from 'vitest';

// cron-parser is a dependency of the jobmaster package, not of the workspace root.
const requireFromJobmaster = createRequire(new URL('../../packages/jobmaster/package.json', import.meta.url));
const { CronExpressionParser } = requireFromJobmaster('cron-parser') as { CronExpressionParser: typeof Parser };

const START = new Date('2026-03-06T12:00:00.000Z');

/** The first `count` ticks after `from`, by cron-parser directly. */
function reference(expression: string, timeZone: string, from: Date, count: number, years?: (y: number) => boolean): string[] {
  const iterator = CronExpressionParser.parse(expression, { tz: timeZone, currentDate: from });
  const ticks: string[] = [];
  while (ticks.length < count) {
    const tick = new Date(iterator.next().getTime());
    const year = Number(new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric' }).format(tick));
    if (!years || years(year)) ticks.push(tick.toISOString());
  }
  return ticks;
}

function ours(expression: string, timeZone: string, from: Date, count: number): string[] {
  const cron = CronSchedule.parse(expression, timeZone);
  const ticks: string[] = [];
  let at: Date | null = from;
  while (ticks.length < count && at) {
    at = cron.next(at);
    if (at) ticks.push(at.toISOString());
  }
  return ticks;
}

const table: Array<[expression: string, timeZone: string]> = [
  ['*/10 * * * * *', 'UTC'],
  ['* * * * * *', 'UTC'],
  ['*/5 * * * *', 'UTC'],
  ['0 9 * * MON-FRI', 'UTC'],
  ['30 2 * * *', 'America/New_York'], // 02:30 does not exist on 8 March 2026 (spring forward)
  ['0 30 1 * * *', 'America/New_York'], // 01:30 happens twice on 1 November 2026 (fall back)
  ['0 0 12 L * ?', 'Europe/Paris'],
  ['15 10 ? * 6#3', 'Asia/Tokyo'],
  ['0 0 * * 0', 'Australia/Lord_Howe'], // a half-hour daylight-saving shift
  ['@daily', 'Europe/London'],
  ['0 */15 9-17 * JAN,MAR,DEC *', 'UTC'],
];

describe('5- and 6-field expressions give exactly cron-parser ticks', () => {
  test.each(table)('%s in %s', (expression, timeZone) => {
    expect(ours(expression, timeZone, START, 40)).toEqual(reference(expression, timeZone, START, 40));
  });

  test('across both daylight-saving changes of 2026 in New York, every day at 01:30 and 02:30', () => {
    for (const [expression, from] of [
      ['0 30 2 * * *', '2026-03-01T00:00:00Z'],
      ['0 30 1 * * *', '2026-10-25T00:00:00Z'],
    ] as const) {
      const got = ours(expression, 'America/New_York', new Date(from), 14);
      expect(got).toEqual(reference(expression, 'America/New_York', new Date(from), 14));
      // One tick per local day, never two, never none.
      expect(new Set(got.map((t) => new Date(t).toLocaleDateString('en-CA', { timeZone: 'America/New_York' }))).size).toBe(14);
    }
  });
});

describe('7-field expressions (NUTS: seconds ... year) filter cron-parser ticks by year', () => {
  const sevenField: Array<[expression: string, timeZone: string, years: (y: number) => boolean]> = [
    ['0 0 2 ? * * *', 'UTC', () => true],
    ['0 0 2 ? * * 2027', 'UTC', (y) => y === 2027],
    ['0 30 2 * * ? 2026-2030/2', 'America/New_York', (y) => y >= 2026 && y <= 2030 && y % 2 === 0],
    ['0 0 0 1 1 * 2028,2031,2099', 'Europe/Paris', (y) => [2028, 2031, 2099].includes(y)],
    ['*/20 * * * * * 2026/3', 'UTC', (y) => y >= 2026 && (y - 2026) % 3 === 0],
  ];
  test.each(sevenField)('%s in %s', (expression, timeZone, years) => {
    const six = expression.split(' ').slice(0, 6).join(' ');
    const count = expression.startsWith('0 0 0 1 1') ? 3 : 30;
    expect(ours(expression, timeZone, START, count)).toEqual(reference(six, timeZone, START, count, years));
  });

  test('a year in the past means no further tick', () => {
    expect(CronSchedule.parse('0 0 2 ? * * 2025').next(START)).toBeNull();
  });

  test('the latest tick at or before a time respects the year field', () => {
    const cron = CronSchedule.parse('0 0 0 1 1 * 2027,2029');
    expect(cron.latestAtOrBefore(new Date('2028-06-01T00:00:00Z'))?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(cron.latestAtOrBefore(new Date('2027-01-01T00:00:00Z'))?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(cron.latestAtOrBefore(new Date('2026-12-31T23:59:59Z'))).toBeNull();
  });
});

describe('invalid expressions name the expression and the reason', () => {
  test.each([
    ['', /is invalid: it is empty/],
    ['61 * * * *', /^Cron expression "61 \* \* \* \*" is invalid: minute 61 is out of range 0-59$/],
    ['* * *', /it has 3 fields; write 5/],
    ['* * * * * * * *', /it has 8 fields/],
    ['0 0 0 * * * 1969', /year 1969 is out of range 1970-2099/],
    ['0 0 0 * * * 2030-2026', /runs backwards/],
    ['0 0 0 * * * soon', /year field "soon" must be/],
    ['0 0 30 2 *', /is invalid/],
  ])('%j', (expression, reason) => {
    expect(() => CronSchedule.parse(expression)).toThrow(InvalidScheduleError);
    expect(() => CronSchedule.parse(expression)).toThrow(reason);
  });

  test("a value out of range names its field and the field's range", () => {
    const reasons = {
      '60 * * * * *': 'second 60 is out of range 0-59',
      '0 1-70 * * * *': 'minute 1-70 is out of range 0-59',
      '0 0 24 * * *': 'hour 24 is out of range 0-23',
      '* * 0 * *': 'day of month 0 is out of range 1-31',
      '* * * 13 *': 'month 13 is out of range 1-12',
      '0 0 1 1 * 1999': 'day of week 1999 is out of range 0-7', // a year needs the seventh field
      '0 0 0 1 1 * 2100': 'year 2100 is out of range 1970-2099',
    };
    for (const [expression, reason] of Object.entries(reasons)) {
      expect(() => CronSchedule.parse(expression)).toThrow(`Cron expression ${JSON.stringify(expression)} is invalid: ${reason}`);
    }
    expect(() => CronSchedule.parse('abc * * * *')).toThrow(/is invalid: minute "abc": invalid characters/);
  });

  test('an unknown time zone is reported as such, not as an invalid expression', () => {
    expect(() => CronSchedule.parse('* * * * *', 'Mars/Olympus')).toThrow(
      /^unknown time zone "Mars\/Olympus" \(use an IANA name such as "Europe\/Paris"\)$/,
    );
  });
});

describe('a new schedule must have a tick to come', () => {
  test('an expression whose years have all passed is refused', () => {
    expect(() => CronSchedule.parseUpcoming('0 0 0 1 1 ? 1999')).toThrow(InvalidScheduleError);
    expect(() => CronSchedule.parseUpcoming('0 0 0 1 1 ? 1999')).toThrow(
      'Cron expression "0 0 0 1 1 ? 1999" has no future tick: the schedule would never fire',
    );
    expect(() => CronSchedule.parseUpcoming('0 0 2 ? * * 2026', null, new Date('2027-01-01T00:00:00Z'))).toThrow(/no future tick/);
  });

  test('one with a tick left is accepted, and a stored schedule whose last tick passed still parses', () => {
    expect(CronSchedule.parseUpcoming('0 0 2 ? * * 2026', 'Europe/Paris', START).next(START)?.toISOString()).toBe(
      '2026-03-07T01:00:00.000Z',
    );
    expect(CronSchedule.parse('0 0 0 1 1 ? 1999').latestAtOrBefore(START)?.toISOString()).toBe('1999-01-01T00:00:00.000Z');
  });
});

describe('catch-up plans', () => {
  const everySecond = CronSchedule.parse('* * * * * *');
  const at = (s: number): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString().slice(17, 19));

  test('on time, every policy fires the one due tick', () => {
    for (const policy of ['latest', 'skip', 'backfill:5']) {
      const plan = planTicks(everySecond, parseCatchUp(policy), at(10), new Date(at(10).getTime() + 300));
      expect(iso(plan.ticks)).toEqual(['10']);
      expect(plan.next).toEqual(at(11));
    }
  });

  test('after 40 missed ticks: latest fires the last, skip none, backfill:5 the last five', () => {
    const now = new Date(at(49).getTime() + 500);
    expect(iso(planTicks(everySecond, parseCatchUp('latest'), at(10), now).ticks)).toEqual(['49']);
    expect(iso(planTicks(everySecond, parseCatchUp('skip'), at(10), now).ticks)).toEqual([]);
    expect(iso(planTicks(everySecond, parseCatchUp('backfill:5'), at(10), now).ticks)).toEqual(['45', '46', '47', '48', '49']);
    expect(planTicks(everySecond, parseCatchUp('skip'), at(10), now).next).toEqual(at(50));
  });

  test('a year-long outage of a one-second schedule costs a bounded plan, not a storm', () => {
    // Walking 31 million ticks would time the test out; the plan walks back three.
    const plan = planTicks(everySecond, parseCatchUp('backfill:3'), at(0), new Date(Date.UTC(2027, 0, 1)));
    expect(plan.ticks.map((t) => t.toISOString())).toEqual([
      '2026-12-31T23:59:58.000Z',
      '2026-12-31T23:59:59.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
  });

  test('catch-up policies are checked', () => {
    expect(() => parseCatchUp('backfill:0')).toThrow(/backfill:N with N from 1 to 1000/);
    expect(() => parseCatchUp('all')).toThrow(/got "all"/);
    expect(parseCatchUp('backfill:1000')).toEqual({ mode: 'backfill', limit: 1000 });
  });
});
