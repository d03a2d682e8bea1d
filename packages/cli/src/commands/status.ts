import type { Command } from 'commander';
import { InvalidArgumentsError, getJobDetail, getQueueStatus, parseJobId, type JobDetail, type QueueStatus } from 'jobmaster';
import type { CliContext } from '../cli-context.js';
import { execute, wantsJson, withCommonOptions, type CommonOptions } from '../command-runner.js';
import { parseSinceFlag, parseStatusFlag, parseTaskFlag } from '../filter-flags.js';
import type { Output } from '../output.js';
import { isDuration } from '../parse.js';
import { renderJobDetail } from '../status-view/job-detail-view.js';
import { renderQueueStatus } from '../status-view/queue-status-view.js';
import { renderWorkflowRunCounts } from '../status-view/workflow-run-view.js';

/** `jm status`'s value: the queue, with workflow runs by workflow and status. */
export type StatusValue = QueueStatus;

/** Filters of `jm status`, as typed on the command line. */
export interface StatusOptions {
  /** `type_key.task_key` */
  task?: string;
  status?: string;
  /** A duration such as `1h`: finished jobs only when they finished that recently; `all`: every one kept. (Default: 24h) */
  since?: string;
}

/**
 * How far back `jm status` counts finished jobs unless `--since` says otherwise. Waiting and
 * running jobs always count. A window keeps the command's cost to what happened lately
 * (`--since all` reads the whole history).
 */
export const DEFAULT_STATUS_SINCE = '24h';

/** `jm status`: the queue at a glance. Flags are checked before the database is touched. */
export async function statusCommand(ctx: CliContext, options: StatusOptions): Promise<StatusValue> {
  const task = options.task === undefined ? undefined : parseTaskFlag(options.task);
  const status = options.status === undefined ? undefined : parseStatusFlag(options.status);
  const since = parseStatusSince(options.since ?? DEFAULT_STATUS_SINCE);
  return await getQueueStatus(ctx.pool(), ctx.schema, { ...(task && { task }), ...(status && { status }), ...(since && { since }) });
}

/** `--since`: a duration, or `all` for no window (undefined). */
function parseStatusSince(text: string): Date | undefined {
  if (text.trim() === 'all') return undefined;
  if (!isDuration(text)) {
    throw new InvalidArgumentsError(`--since must be a duration such as 30s, 15m, 1h or 7d, or "all", got ${JSON.stringify(text)}`);
  }
  return parseSinceFlag(text);
}

/** `jm status JOB_ID`: one job in full. */
export async function jobStatusCommand(ctx: CliContext, jobId: string): Promise<JobDetail> {
  return await getJobDetail(ctx.pool(), ctx.schema, parseJobId(jobId));
}

export function printStatus(out: Output, status: StatusValue): void {
  out.write(renderStatus(out, status));
}

function renderStatus(out: Output, status: StatusValue): string {
  const runs = renderWorkflowRunCounts(out, status.workflowRuns);
  return runs ? `${renderQueueStatus(out, status)}\n\n${runs}` : renderQueueStatus(out, status);
}

export function printJobStatus(out: Output, job: JobDetail): void {
  out.write(renderJobDetail(out, job));
}

const CLEAR_SCREEN = '\u001b[2J\u001b[H';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * `jm status --watch`: redraws every `intervalMs` until `signal` aborts (Ctrl-C), clearing
 * the screen on a terminal; returns the last figures.
 */
export async function watchStatus(
  ctx: CliContext,
  options: StatusOptions,
  out: Output,
  signal: AbortSignal,
  intervalMs = 1000,
): Promise<StatusValue | undefined> {
  let last: StatusValue | undefined;
  while (!signal.aborted) {
    last = await statusCommand(ctx, options);
    const text = renderStatus(out, last);
    const footer = out.color.dim(`Refreshing every ${intervalMs / 1000}s; Ctrl-C to stop.`);
    out.write(`${out.isTTY ? CLEAR_SCREEN : ''}${text}\n\n${footer}\n`);
    await sleep(intervalMs, signal);
  }
  return last;
}

type StatusFlags = CommonOptions & StatusOptions & { watch?: boolean };

export function registerStatusCommand(program: Command, out: Output): void {
  withCommonOptions(
    program
      .command('status')
      .description('show jobs by task and status, what runs where, units per node and recent failures; or one job in full')
      .argument('[job_id]', 'show this job: arguments, result or error, related jobs and history')
      .option('--task <type.task>', 'only this task, e.g. things1.foo')
      .option('--status <status>', 'only jobs in this status: waiting, running, complete, failed or cancelled')
      .option(
        '--since <duration>',
        `count finished jobs that finished this recently, e.g. 1h or 7d, or "all" (default: ${DEFAULT_STATUS_SINCE}; waiting and running always count)`,
      )
      .option('-w, --watch', 'redraw every second until Ctrl-C'),
  ).action(async (jobId: string | undefined, options: StatusFlags) => {
    const filters: StatusOptions = {
      ...(options.task !== undefined && { task: options.task }),
      ...(options.status !== undefined && { status: options.status }),
      ...(options.since !== undefined && { since: options.since }),
    };
    if (jobId !== undefined) {
      const extra = [filters.task && '--task', filters.status && '--status', filters.since && '--since', options.watch && '--watch'].filter(
        Boolean,
      );
      if (extra.length)
        throw new InvalidArgumentsError(
          `${extra.join(', ')} ${extra.length === 1 ? 'applies' : 'apply'} to the queue overview, not to one job: drop ${extra.length === 1 ? 'it' : 'them'} or the job id`,
        );
      await execute(options, out, (ctx) => jobStatusCommand(ctx, jobId), printJobStatus, { repeatable: true });
      return;
    }
    if (options.watch) {
      if (wantsJson(options))
        throw new InvalidArgumentsError('--watch redraws a table; for JSON, run "jm status --json" on each refresh instead');
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await execute(
          options,
          out,
          (ctx) => watchStatus(ctx, filters, out, stop.signal),
          () => {},
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      return;
    }
    await execute(options, out, (ctx) => statusCommand(ctx, filters), printStatus, { repeatable: true });
  });
}
