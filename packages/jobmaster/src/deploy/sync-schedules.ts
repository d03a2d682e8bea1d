import type { Queryable } from '../db/queryable.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { notifyChannel, quoteSchema } from '../db/schema-name.js';
import { InvalidScheduleError, JobMasterError } from '../errors.js';
import type { TaskDefinition } from '../registry/task-definition.js';
import { CronSchedule } from '../schedule/cron-expression.js';
import { databaseNow } from '../schedule/schedule-store.js';
import type { ScheduleDefinition } from '../schedule/schedule-definition.js';
import { canonicalJson } from '../util/canonical-json.js';

/** What a schedule sync changed, by schedule name. */
export interface ScheduleChanges {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
}

interface WantedSchedule extends ScheduleDefinition {
  typeKey: string;
  taskKey: string;
}

interface StoredRow {
  name: string;
  source: 'code' | 'runtime';
  type_key: string;
  task_key: string;
  arguments: unknown;
  cron: string;
  time_zone: string | null;
  catch_up: string;
  backfill_limit: number | null;
}

/**
 * Makes the database's code schedules equal the schedules declared on the tasks, inside the
 * deploy transaction, after the registry sync (so their arguments are validated against the
 * new registry). Run-time schedules (`jm schedule add`) are left alone; a code schedule whose
 * name a run-time schedule already holds stops the deploy. A schedule keeps its state (last
 * tick, pause) while its expression and zone are unchanged; a changed expression starts
 * again from its next tick after now.
 */
export async function syncCodeSchedules(db: Queryable, schema: string, definitions: TaskDefinition[]): Promise<ScheduleChanges> {
  const s = quoteSchema(schema);
  const wanted = new Map<string, WantedSchedule>();
  for (const def of definitions) {
    for (const schedule of def.schedules ?? []) {
      const other = wanted.get(schedule.name);
      if (other) {
        throw new InvalidScheduleError(
          `Schedule ${JSON.stringify(schedule.name)} is declared twice, by ${other.typeKey}.${other.taskKey} and ${def.typeKey}.${def.taskKey}: give one a distinct name`,
        );
      }
      wanted.set(schedule.name, { ...schedule, typeKey: def.typeKey, taskKey: def.taskKey });
    }
  }
  const { rows } = await db.query<StoredRow>(
    // Workflows' schedules are synced with the workflows (sync-workflows.ts).
    `select name, source, type_key, task_key, arguments, cron, time_zone, catch_up, backfill_limit from ${s}.schedules
      where workflow_name is null`,
  );
  const stored = new Map(rows.map((r) => [r.name, r]));
  const now = await databaseNow(db);
  const changes: ScheduleChanges = { added: [], changed: [], removed: [], unchanged: 0 };

  for (const [name, schedule] of wanted) {
    const before = stored.get(name);
    if (before?.source === 'runtime') {
      throw new InvalidScheduleError(
        `Schedule ${JSON.stringify(name)} of ${schedule.typeKey}.${schedule.taskKey} clashes with a run-time schedule of that name: remove it (jm schedule remove ${name}) or name the code schedule differently`,
      );
    }
    await validateArguments(db, schema, schedule);
    const row = toRow(schedule);
    if (before && sameDefinition(before, row)) {
      changes.unchanged++;
      continue;
    }
    const restart = !before || before.cron !== row.cron || before.time_zone !== row.time_zone;
    // A new or changed expression must still fire; one already deployed may rightly have ended
    // (and a task whose schedule has ended still loads, so its workers start).
    const next = restart ? upcoming(name, schedule, now).next(now) : undefined;
    await db.query(
      `insert into ${s}.schedules (name, source, type_key, task_key, arguments, cron, time_zone, catch_up, backfill_limit, next_fire_at)
       values ($1, 'code', $2, $3, $4::jsonb, $5, $6, $7, $8, $9)
       on conflict (name) do update
         set type_key = excluded.type_key, task_key = excluded.task_key, arguments = excluded.arguments,
             cron = excluded.cron, time_zone = excluded.time_zone, catch_up = excluded.catch_up,
             backfill_limit = excluded.backfill_limit, updated_at = now(), last_error = null,
             next_fire_at = case when $10 then excluded.next_fire_at else ${s}.schedules.next_fire_at end`,
      [
        name,
        row.type_key,
        row.task_key,
        JSON.stringify(row.arguments),
        row.cron,
        row.time_zone,
        row.catch_up,
        row.backfill_limit,
        next ?? null,
        restart,
      ],
    );
    (before ? changes.changed : changes.added).push(name);
  }
  for (const row of rows) {
    if (row.source === 'code' && !wanted.has(row.name)) {
      await db.query(`delete from ${s}.schedules where name = $1`, [row.name]);
      changes.removed.push(row.name);
    }
  }
  if (changes.added.length + changes.changed.length > 0) await db.query('select pg_notify($1, $2)', [notifyChannel(schema), '']);
  return changes;
}

function upcoming(name: string, schedule: WantedSchedule, now: Date): CronSchedule {
  try {
    return CronSchedule.parseUpcoming(schedule.cron, schedule.timeZone, now);
  } catch (error) {
    const message = `Schedule ${JSON.stringify(name)} of ${schedule.typeKey}.${schedule.taskKey}: ${(error as Error).message}`;
    throw new InvalidScheduleError(message, { cause: error });
  }
}

function toRow(schedule: WantedSchedule): Omit<StoredRow, 'name' | 'source'> {
  return {
    type_key: schedule.typeKey,
    task_key: schedule.taskKey,
    arguments: schedule.args,
    cron: schedule.cron,
    time_zone: schedule.timeZone,
    catch_up: schedule.catchUp.mode,
    backfill_limit: schedule.catchUp.mode === 'backfill' ? schedule.catchUp.limit : null,
  };
}

function sameDefinition(before: StoredRow, row: Omit<StoredRow, 'name' | 'source'>): boolean {
  const { name: _name, source: _source, ...stored } = before;
  return canonicalJson(stored) === canonicalJson(row);
}

/** The schedule's arguments must pass the rules of any enqueue, against the registry just synced. */
async function validateArguments(db: Queryable, schema: string, schedule: WantedSchedule): Promise<void> {
  try {
    await db.query(`select ${quoteSchema(schema)}.prepare_arguments($1, $2, $3::jsonb)`, [
      schedule.typeKey,
      schedule.taskKey,
      JSON.stringify(schedule.args),
    ]);
  } catch (error) {
    const typed = translateDatabaseError(error, { schema, typeKey: schedule.typeKey, taskKey: schedule.taskKey });
    if (typed instanceof JobMasterError) {
      throw new InvalidScheduleError(`Schedule ${JSON.stringify(schedule.name)}: ${typed.message}`, { cause: error });
    }
    throw error;
  }
}
