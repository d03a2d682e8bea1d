import { InvalidScheduleError } from '../errors.js';
import type { JsonValue } from '../registry/task-definition.js';
import { CronSchedule } from './cron-expression.js';

/**
 * What a schedule does with ticks missed while no worker ran (a tick is missed when a later
 * tick is also due by the time a worker looks, or it is more than {@link ON_TIME_GRACE_MS} late):
 * - `latest`: one job, for the latest missed tick (the default);
 * - `skip`: no job for missed ticks; the schedule goes on from the next tick;
 * - `backfill`: one job for each of the latest `limit` missed ticks, oldest first.
 * However long the outage, catching up inserts at most `limit` jobs: no storm.
 */
export type CatchUp = { mode: 'latest' } | { mode: 'skip' } | { mode: 'backfill'; limit: number };

/** A catch-up policy as written: `'latest'`, `'skip'` or `'backfill:N'` (N from 1 to 1000). */
export type CatchUpText = 'latest' | 'skip' | `backfill:${number}`;

/** How late the single due tick may be and still count as on time under `skip`. (Default: 15 s) */
export const ON_TIME_GRACE_MS = 15_000;

/** Most ticks `backfill:N` may name. */
export const MAX_BACKFILL = 1000;

/** Schedule names: letters, digits and `_ . : # @ / -`, starting with a letter, digit or `_`; at most 200 characters. */
export const SCHEDULE_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:#@/-]{0,199}$/;

/** One schedule as a task declares it in its `schedule` option. */
export interface ScheduleOption {
  /** Cron expression: 5 fields, 6 (seconds first) or 7 (seconds first, year last). */
  cron: string;
  /** Arguments of every job it inserts, validated like any enqueue at deploy. (Default: {}) */
  args?: Record<string, JsonValue>;
  /** IANA time zone the expression is read in, e.g. "Europe/Paris". (Default: "UTC") */
  timeZone?: string;
  /**
   * Unique name of the schedule, shown by `jm schedule list` and used to pause it.
   * (Default: "type.task" for a task's first schedule, "type.task#2", "type.task#3"... for the others)
   */
  name?: string;
  /** Ticks missed while nothing ran; see {@link CatchUp}. (Default: 'latest') */
  catchUp?: CatchUpText;
}

/** The `schedule` option of `@task`/`defineTask`: a cron expression, one schedule, or a list. */
export type ScheduleDeclaration = string | ScheduleOption | ReadonlyArray<string | ScheduleOption>;

/** A validated schedule of a task, as synced by `jm deploy`. */
export interface ScheduleDefinition {
  name: string;
  cron: string;
  /** IANA zone, or null for UTC. */
  timeZone: string | null;
  args: Record<string, JsonValue>;
  catchUp: CatchUp;
}

/** Reads `latest`, `skip` or `backfill:N`; throws InvalidScheduleError otherwise. */
export function parseCatchUp(text: string): CatchUp {
  if (text === 'latest' || text === 'skip') return { mode: text };
  const match = /^backfill:(\d{1,4})$/.exec(String(text));
  const limit = match ? Number(match[1]) : NaN;
  if (!(limit >= 1 && limit <= MAX_BACKFILL)) {
    throw new InvalidScheduleError(
      `Catch-up policy must be latest, skip or backfill:N with N from 1 to ${MAX_BACKFILL}, got ${JSON.stringify(String(text).slice(0, 40))}`,
    );
  }
  return { mode: 'backfill', limit };
}

/** The written form of a catch-up policy (`backfill:5`). */
export function formatCatchUp(catchUp: CatchUp): CatchUpText {
  return catchUp.mode === 'backfill' ? `backfill:${catchUp.limit}` : catchUp.mode;
}

/** Checks a schedule name; throws InvalidScheduleError. */
export function validateScheduleName(name: string): string {
  if (typeof name !== 'string' || !SCHEDULE_NAME_PATTERN.test(name)) {
    throw new InvalidScheduleError(
      `Schedule name ${JSON.stringify(String(name).slice(0, 60))} must be 1 to 200 letters, digits or _ . : # @ / -, starting with a letter, digit or _`,
    );
  }
  return name;
}

/**
 * Validates a task's `schedule` option and returns its schedules with defaults applied.
 * Throws InvalidScheduleError with the reason; the registry wraps it with the task's name.
 */
export function resolveScheduleDeclaration(
  taskName: string,
  declaration: ScheduleDeclaration | undefined,
  parameterNames: readonly string[],
): ScheduleDefinition[] {
  if (declaration === undefined) return [];
  const list = Array.isArray(declaration) ? declaration : [declaration as string | ScheduleOption];
  const names = new Set<string>();
  return list.map((entry, index) => {
    const option: ScheduleOption = typeof entry === 'string' ? { cron: entry } : entry;
    if (typeof option !== 'object' || option === null || typeof option.cron !== 'string') {
      throw new InvalidScheduleError('schedule must be a cron string, { cron, args?, timeZone?, name?, catchUp? }, or a list of these');
    }
    const name = validateScheduleName(option.name ?? (index === 0 ? taskName : `${taskName}#${index + 1}`));
    if (names.has(name)) throw new InvalidScheduleError(`two schedules are named ${JSON.stringify(name)}: give each a distinct name`);
    names.add(name);
    CronSchedule.parse(option.cron, option.timeZone);
    const args = option.args ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      throw new InvalidScheduleError(`schedule ${JSON.stringify(name)}: args must be an object of named arguments`);
    }
    const unknown = Object.keys(args).find((key) => !parameterNames.includes(key));
    if (unknown !== undefined)
      throw new InvalidScheduleError(`schedule ${JSON.stringify(name)}: args name an unknown parameter "${unknown}"`);
    return {
      name,
      cron: option.cron.trim(),
      timeZone: option.timeZone ?? null,
      args: structuredClone(args),
      catchUp: parseCatchUp(option.catchUp ?? 'latest'),
    };
  });
}
