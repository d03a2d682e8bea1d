import type { Command } from 'commander';
import {
  addSchedule,
  listSchedules,
  parseCatchUp,
  parseTaskName,
  pauseSchedule,
  removeSchedule,
  resumeSchedule,
  type ScheduleInfo,
} from 'jobmaster';
import type { CliContext } from '../cli-context.js';
import { argumentsText } from '../json-input.js';
import { execute, withCommonOptions, type CommonOptions } from '../command-runner.js';
import type { Output } from '../output.js';
import { formatTime } from '../status-view/format-time.js';
import { formatSchedules } from '../status-view/schedules-view.js';

export interface ScheduleAddOptions {
  name: string;
  /** `type.task` */
  task: string;
  cron: string;
  /** Arguments as a JSON object text. */
  json?: string;
  timeZone?: string;
  /** latest | skip | backfill:N */
  catchUp?: string;
}

/** `jm schedule add NAME TYPE.TASK --cron EXPR`: a run-time schedule, its arguments validated like any enqueue. */
export async function scheduleAddCommand(ctx: CliContext, options: ScheduleAddOptions): Promise<ScheduleInfo> {
  const { typeKey, taskKey } = parseTaskName(options.task);
  const argumentsJson = argumentsText(options.task, options.json);
  const catchUp = parseCatchUp(options.catchUp ?? 'latest');
  return await addSchedule(ctx.pool(), ctx.schema, {
    name: options.name,
    typeKey,
    taskKey,
    ...(argumentsJson !== undefined && { argumentsJson }),
    cron: options.cron,
    timeZone: options.timeZone ?? null,
    catchUp,
  });
}

/** `jm schedule list`: every schedule with its last and next tick. */
export async function scheduleListCommand(ctx: CliContext): Promise<ScheduleInfo[]> {
  return await listSchedules(ctx.pool(), ctx.schema);
}

/** `jm schedule pause|resume|remove NAME`. */
export async function scheduleChangeCommand(ctx: CliContext, action: 'pause' | 'resume' | 'remove', name: string): Promise<ScheduleInfo> {
  const change = { pause: pauseSchedule, resume: resumeSchedule, remove: removeSchedule }[action];
  return await change(ctx.pool(), ctx.schema, name);
}

export function printScheduleList(out: Output, schedules: ScheduleInfo[]): void {
  out.write(
    schedules.length
      ? formatSchedules(out, schedules)
      : 'No schedules (declare one with the task option "schedule", or run "jm schedule add").',
  );
}

function printScheduleChange(verb: string): (out: Output, schedule: ScheduleInfo) => void {
  return (out, schedule) => {
    // A removed schedule has no next tick; a paused one says so (unless pausing is the news).
    const state =
      verb === 'removed' ? '' : schedule.paused ? (verb === 'paused' ? '' : '; paused') : `; next tick ${formatTime(schedule.nextFireAt)}`;
    out.write(`Schedule ${schedule.name} (${schedule.task}, "${schedule.cron}") ${verb}${state}.`);
  };
}

export function registerScheduleCommand(program: Command, out: Output): void {
  const schedule = program.command('schedule').description('add, list, pause, resume and remove cron schedules');

  withCommonOptions(
    schedule
      .command('add')
      .description('add a run-time schedule that enqueues TYPE.TASK at each tick of a cron expression')
      .argument('<name>', 'a unique name for the schedule, e.g. nightly-report')
      .argument('<task>', 'the task, as type_key.task_key, e.g. things1.foo')
      .requiredOption('--cron <expression>', 'cron expression: 5 fields, 6 (seconds first) or 7 (seconds first, year last)')
      .option('--json <arguments>', 'arguments of every job, as a JSON object, or @file, or - for standard input')
      .option('--time-zone <zone>', 'IANA time zone the expression is read in (default: UTC)')
      .option('--catch-up <policy>', 'ticks missed while no worker ran: latest, skip or backfill:N (default: latest)'),
    { jsonFlag: false },
  ).action(async (name: string, task: string, options: CommonOptions & { cron: string; timeZone?: string; catchUp?: string }) => {
    const json = typeof options.json === 'string' ? options.json : undefined;
    await execute(
      options,
      out,
      (ctx) =>
        scheduleAddCommand(ctx, {
          name,
          task,
          cron: options.cron,
          ...(json !== undefined && { json }),
          ...(options.timeZone !== undefined && { timeZone: options.timeZone }),
          ...(options.catchUp !== undefined && { catchUp: options.catchUp }),
        }),
      printScheduleChange('added'),
      { jsonFlag: false },
    );
  });

  withCommonOptions(schedule.command('list').description('list schedules with their last and next ticks')).action(
    async (options: CommonOptions) => {
      await execute(options, out, scheduleListCommand, printScheduleList, { repeatable: true });
    },
  );

  const changes = [
    ['pause', 'stop firing a schedule until it is resumed', 'paused'],
    ['resume', 'fire a paused schedule again, from its next tick', 'resumed'],
    ['remove', 'delete a run-time schedule (its jobs stay)', 'removed'],
  ] as const;
  for (const [action, description, verb] of changes) {
    withCommonOptions(schedule.command(action).description(description).argument('<name>', 'the schedule name')).action(
      async (name: string, options: CommonOptions) => {
        await execute(options, out, (ctx) => scheduleChangeCommand(ctx, action, name), printScheduleChange(verb));
      },
    );
  }
}
