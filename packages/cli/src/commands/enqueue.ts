import type { Command } from 'commander';
import {
  InvalidArgumentsError,
  LATEST_TIME,
  ON_CONFLICT_MODES,
  checkRunAt,
  enqueueJob,
  planEnqueue,
  type EnqueuePlan,
  type EnqueueResult,
  type JobRequest,
  type OnConflict,
} from 'jobmaster';
import type { CliContext } from '../cli-context.js';
import { collect, execute, withCommonOptions, type CommonOptions } from '../command-runner.js';
import type { Output } from '../output.js';
import { argumentsText } from '../json-input.js';
import { parseDuration } from '../parse.js';
import { renderEnqueuePlan } from '../status-view/plan-view.js';

export interface EnqueueOptions {
  typeKey: string;
  taskKey: string;
  /** Arguments as a JSON object text, `@file` or `-` (standard input). */
  json?: string;
  /** Extra arguments as `name=value` (value read as JSON when it parses, else as a string). */
  arg?: string[];
  priority?: string;
  runAt?: string;
  delay?: string;
  /** Job key; see `JobRequest.jobKey`. */
  key?: string;
  /** raise | ignore | replace (only with `key`). */
  onConflict?: string;
}

export interface EnqueueOutcome extends EnqueueResult {
  task: string;
}

function parsePriority(task: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim())) throw new InvalidArgumentsError(`${task}: --priority must be an integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

function parseRunAt(task: string, options: EnqueueOptions): Date | undefined {
  if (options.runAt !== undefined && options.delay !== undefined) {
    throw new InvalidArgumentsError(`${task}: give --run-at or --delay, not both`);
  }
  if (options.runAt !== undefined) {
    const at = new Date(options.runAt);
    if (Number.isNaN(at.getTime())) {
      throw new InvalidArgumentsError(
        `${task}: --run-at must be an ISO 8601 time such as 2026-12-01T09:00:00Z, got ${JSON.stringify(options.runAt)}`,
      );
    }
    // The range is the SDK's rule (every door applies it); the flag's name and text make the message.
    return checkRunAt(task, at, '--run-at', JSON.stringify(options.runAt));
  }
  if (options.delay !== undefined) {
    const at = Date.now() + parseDuration(options.delay, '--delay');
    if (at > LATEST_TIME) {
      throw new InvalidArgumentsError(
        `${task}: --delay is too long: the job would start after the year 9999, got ${JSON.stringify(options.delay)}`,
      );
    }
    return new Date(at);
  }
  return undefined;
}

function parseOnConflict(task: string, options: EnqueueOptions): OnConflict | undefined {
  if (options.onConflict === undefined) return undefined;
  if (options.key === undefined) throw new InvalidArgumentsError(`${task}: --on-conflict needs --key`);
  if (!(ON_CONFLICT_MODES as readonly string[]).includes(options.onConflict)) {
    throw new InvalidArgumentsError(`${task}: --on-conflict must be raise, ignore or replace, got ${JSON.stringify(options.onConflict)}`);
  }
  return options.onConflict as OnConflict;
}

/** The request an enqueue's options describe, checked as far as the command line can. */
function enqueueRequest(options: EnqueueOptions): JobRequest {
  const task = `${options.typeKey}.${options.taskKey}`;
  const argumentsJson = argumentsText(task, options.json, options.arg);
  const priority = parsePriority(task, options.priority);
  const runAt = parseRunAt(task, options);
  const onConflict = parseOnConflict(task, options);
  return {
    typeKey: options.typeKey,
    taskKey: options.taskKey,
    ...(argumentsJson === undefined ? {} : { argumentsJson }),
    ...(priority === undefined ? {} : { priority }),
    ...(runAt === undefined ? {} : { runAt }),
    ...(options.key === undefined ? {} : { jobKey: options.key }),
    ...(onConflict === undefined ? {} : { onConflict }),
  };
}

/** `jm enqueue TYPE TASK`: validate and insert one job, returning its id. */
export async function enqueueCommand(ctx: CliContext, options: EnqueueOptions): Promise<EnqueueOutcome> {
  const request = enqueueRequest(options);
  // On the embedded database, a server lost under the insert repeats it only if it did not commit.
  const result = await ctx.writeOnce((db) => enqueueJob(db, ctx.schema, request));
  return { task: `${options.typeKey}.${options.taskKey}`, ...result };
}

/** `jm enqueue TYPE TASK --plan`: what the enqueue would do now, written nowhere. */
export async function planEnqueueCommand(ctx: CliContext, options: EnqueueOptions): Promise<EnqueuePlan> {
  return await planEnqueue(ctx.pool(), ctx.schema, enqueueRequest(options));
}

export function printEnqueue(out: Output, outcome: EnqueueOutcome): void {
  out.write(outcome.id);
  const notes: Partial<Record<EnqueueResult['outcome'], string>> = {
    identical: `An identical ${outcome.task} job is already waiting or running; returned its id.`,
    existing: `A ${outcome.task} job with this key is already waiting or running; returned its id.`,
    replaced: `Replaced the waiting ${outcome.task} job with this key (new arguments, priority and run-at).`,
    superseded: `The ${outcome.task} job with this key is running; it will finish without retries, and this new job holds the key.`,
  };
  const note = notes[outcome.outcome];
  if (note) out.error(note);
}

export function registerEnqueueCommand(program: Command, out: Output): void {
  withCommonOptions(
    program
      .command('enqueue')
      .description('put one job on the queue and print its id')
      .argument('<type_key>', 'type key of the task, e.g. things1')
      .argument('<task_key>', 'task key of the task, e.g. foo')
      .option('--json <arguments>', 'arguments as a JSON object, e.g. \'{"number": 2}\', or @file, or - for standard input')
      .option('-a, --arg <name=value>', 'one argument (value parsed as JSON when it can be), repeatable', collect)
      .option('-p, --priority <n>', 'higher runs first (default: 0)')
      .option('--run-at <time>', 'do not start before this ISO 8601 time')
      .option('--delay <duration>', 'do not start before this long from now, e.g. 15m')
      .option('--key <job_key>', 'your name for the job, unique among its waiting and running jobs')
      .option('--on-conflict <mode>', 'when --key is held: raise (error), ignore (print its id) or replace (update it) (default: raise)')
      .option('--plan', 'write nothing; show what the enqueue would do now (defaults, twin, fan-out, dependencies)'),
    { jsonFlag: false },
  ).action(
    async (
      typeKey: string,
      taskKey: string,
      options: CommonOptions & Omit<EnqueueOptions, 'typeKey' | 'taskKey' | 'json'> & { plan?: boolean },
    ) => {
      const json = typeof options.json === 'string' ? options.json : undefined;
      const request: EnqueueOptions = {
        typeKey,
        taskKey,
        ...(json !== undefined && { json }),
        ...(options.arg && { arg: options.arg }),
        ...(options.priority !== undefined && { priority: options.priority }),
        ...(options.runAt !== undefined && { runAt: options.runAt }),
        ...(options.delay !== undefined && { delay: options.delay }),
        ...(options.key !== undefined && { key: options.key }),
        ...(options.onConflict !== undefined && { onConflict: options.onConflict }),
      };
      if (options.plan) {
        await execute(
          options,
          out,
          (ctx) => planEnqueueCommand(ctx, request),
          (o, plan) => o.write(renderEnqueuePlan(o, plan)),
          {
            jsonFlag: false,
            repeatable: true,
          },
        );
        return;
      }
      await execute(options, out, (ctx) => enqueueCommand(ctx, request), printEnqueue, { jsonFlag: false });
    },
  );
}
