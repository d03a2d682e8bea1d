import { argumentsFromJsonText, argumentsJson } from '../jobs/arguments-json.js';
import type { Queryable } from '../db/queryable.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { quoteSchema } from '../db/schema-name.js';
import type { JsonValue } from '../registry/task-definition.js';
import { CronSchedule } from './cron-expression.js';
import { formatCatchUp, parseCatchUp, validateScheduleName, type CatchUp, type CatchUpText } from './schedule-definition.js';

/** A schedule as stored, with its state. */
export interface ScheduleInfo {
  name: string;
  /** `code`: declared on a task and synced by deploy; `runtime`: added by `jm schedule add`. */
  source: 'code' | 'runtime';
  /** `type.task` */
  task: string;
  args: Record<string, JsonValue>;
  cron: string;
  /** IANA zone, or null for UTC. */
  timeZone: string | null;
  catchUp: CatchUpText;
  paused: boolean;
  /** The next tick to fire; null when paused ticks are not counted or the expression has ended. */
  nextFireAt: Date | null;
  /** The latest tick fired. */
  lastTickAt: Date | null;
  /** When it last fired (database clock). */
  lastFiredAt: Date | null;
  lastJobId: string | null;
  /** Why the last firing inserted no job, if so. */
  lastError: string | null;
}

/** A run-time schedule to add. */
export interface NewSchedule {
  name: string;
  typeKey: string;
  taskKey: string;
  /** Arguments of every job, validated now like any enqueue. (Default: {}) */
  args?: Record<string, JsonValue>;
  /** The arguments as JSON text instead of `args`, passed on as written (see `JobRequest.argumentsJson`). */
  argumentsJson?: string;
  cron: string;
  /** IANA zone. (Default: UTC) */
  timeZone?: string | null;
  /** (Default: 'latest') */
  catchUp?: CatchUpText | CatchUp;
}

interface ScheduleRow {
  name: string;
  source: 'code' | 'runtime';
  type_key: string | null;
  task_key: string | null;
  workflow_name: string | null;
  arguments: Record<string, JsonValue>;
  cron: string;
  time_zone: string | null;
  catch_up: 'latest' | 'skip' | 'backfill';
  backfill_limit: number | null;
  paused: boolean;
  next_fire_at: Date | null;
  last_tick_at: Date | null;
  last_fired_at: Date | null;
  last_job_id: string | null;
  last_error: string | null;
}

const COLUMNS = `name, source, type_key, task_key, workflow_name, arguments, cron, time_zone, catch_up, backfill_limit, paused,
  next_fire_at, last_tick_at, last_fired_at, last_job_id::text, last_error`;

function toInfo(row: ScheduleRow): ScheduleInfo {
  const catchUp: CatchUp = row.catch_up === 'backfill' ? { mode: 'backfill', limit: row.backfill_limit ?? 1 } : { mode: row.catch_up };
  return {
    name: row.name,
    source: row.source,
    // A workflow's schedule starts runs of it (sync-workflows.ts).
    task: row.workflow_name !== null ? `workflow ${row.workflow_name}` : `${row.type_key}.${row.task_key}`,
    args: row.arguments,
    cron: row.cron,
    timeZone: row.time_zone,
    catchUp: formatCatchUp(catchUp),
    paused: row.paused,
    nextFireAt: row.next_fire_at,
    lastTickAt: row.last_tick_at,
    lastFiredAt: row.last_fired_at,
    lastJobId: row.last_job_id,
    lastError: row.last_error,
  };
}

/** The database's clock, which ticks are measured against. */
export async function databaseNow(db: Queryable): Promise<Date> {
  const { rows } = await db.query<{ now: Date }>('select now() as now');
  return rows[0]!.now;
}

async function run<T>(schema: string, context: { typeKey?: string; taskKey?: string }, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateDatabaseError(error, { schema, ...context });
  }
}

/**
 * Adds a run-time schedule. The expression (which must have a future tick), time zone,
 * catch-up policy and name are checked here (InvalidScheduleError), the arguments by the database like any enqueue
 * (UnknownTaskError, InvalidArgumentsError); a taken name is ScheduleExistsError. Its first
 * tick is the first after now. Idle workers are woken to set their timers.
 */
export async function addSchedule(db: Queryable, schema: string, schedule: NewSchedule): Promise<ScheduleInfo> {
  const name = validateScheduleName(schedule.name);
  const cron = CronSchedule.parseUpcoming(schedule.cron, schedule.timeZone);
  const catchUp = typeof schedule.catchUp === 'object' ? schedule.catchUp : parseCatchUp(schedule.catchUp ?? 'latest');
  const task = `${schedule.typeKey}.${schedule.taskKey}`;
  const argsText =
    schedule.argumentsJson !== undefined ? argumentsFromJsonText(task, schedule.argumentsJson) : argumentsJson(task, schedule.args);
  const context = { typeKey: schedule.typeKey, taskKey: schedule.taskKey };
  return await run(schema, context, async () => {
    const next = cron.next(await databaseNow(db));
    const { rows } = await db.query<ScheduleRow>(
      `select ${COLUMNS} from ${quoteSchema(schema)}.add_schedule($1, 'runtime', $2, $3, $4::jsonb, $5, $6, $7, $8, $9)`,
      [
        name,
        schedule.typeKey,
        schedule.taskKey,
        argsText,
        cron.expression,
        schedule.timeZone ?? null,
        catchUp.mode,
        catchUp.mode === 'backfill' ? catchUp.limit : null,
        next,
      ],
    );
    return toInfo(rows[0]!);
  });
}

/** Every schedule, code and run-time, by name. */
export async function listSchedules(db: Queryable, schema: string): Promise<ScheduleInfo[]> {
  return await run(schema, {}, async () => {
    const { rows } = await db.query<ScheduleRow>(`select ${COLUMNS} from ${quoteSchema(schema)}.schedules order by name`);
    return rows.map(toInfo);
  });
}

/** Pauses a schedule: no jobs until resumed. ScheduleNotFoundError when there is none. */
export async function pauseSchedule(db: Queryable, schema: string, name: string): Promise<ScheduleInfo> {
  return await run(schema, {}, async () => {
    const { rows } = await db.query<ScheduleRow>(`select ${COLUMNS} from ${quoteSchema(schema)}.set_schedule_paused($1, true)`, [name]);
    return toInfo(rows[0]!);
  });
}

/**
 * Resumes a paused schedule from its next tick after now; ticks that passed while it was
 * paused are not fired. ScheduleNotFoundError when there is none.
 */
export async function resumeSchedule(db: Queryable, schema: string, name: string): Promise<ScheduleInfo> {
  return await run(schema, {}, async () => {
    const s = quoteSchema(schema);
    const { rows: found } = await db.query<{ cron: string; time_zone: string | null }>(
      `select cron, time_zone from ${s}.schedules where name = $1`,
      [name],
    );
    const stored = found[0];
    // A missing schedule is reported by set_schedule_paused itself.
    const next = stored ? CronSchedule.parse(stored.cron, stored.time_zone).next(await databaseNow(db)) : null;
    const { rows } = await db.query<ScheduleRow>(`select ${COLUMNS} from ${s}.set_schedule_paused($1, false, $2)`, [name, next]);
    return toInfo(rows[0]!);
  });
}

/**
 * Removes a run-time schedule (jobs it inserted stay). ScheduleNotFoundError when there is
 * none; CodeScheduleError for a schedule declared in code (remove it from the code and deploy).
 */
export async function removeSchedule(db: Queryable, schema: string, name: string): Promise<ScheduleInfo> {
  return await run(schema, {}, async () => {
    const { rows } = await db.query<ScheduleRow>(`select ${COLUMNS} from ${quoteSchema(schema)}.remove_schedule($1)`, [name]);
    return toInfo(rows[0]!);
  });
}
