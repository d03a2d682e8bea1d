import type { Command } from 'commander';
import { pruneAlerts, pruneJobs, requireKnownTask, type PruneResult, type PrunedAlerts } from 'jobmaster';
import type { CliContext } from '../cli-context.js';
import { execute, withCommonOptions, type CommonOptions } from '../command-runner.js';
import { parseTaskFlag } from '../filter-flags.js';
import type { Output } from '../output.js';
import { parseAge } from '../parse.js';
import { formatTime } from '../status-view/format-time.js';

/** What `jm prune` deletes. */
export interface PruneCommandOptions {
  /** A duration such as `7d`. */
  olderThan: string;
  /** `type_key.task_key` */
  task?: string;
}

/** What `jm prune` prints (as JSON too). */
export interface PruneOutcome extends PruneResult {
  olderThan: string;
  task: string | null;
  /** Failure alerts raised before `before`, delivered or not. */
  alerts: PrunedAlerts;
}

/**
 * `jm prune --older-than 7d`: deletes finished jobs and their history, never waiting or
 * running ones, and the failure alerts raised before the same time, delivered or not.
 */
export async function pruneCommand(ctx: CliContext, options: PruneCommandOptions): Promise<PruneOutcome> {
  const olderThanMs = parseAge(options.olderThan, '--older-than');
  const task = options.task === undefined ? undefined : parseTaskFlag(options.task);
  if (task) await requireKnownTask(ctx.pool(), ctx.schema, task);
  const result = await pruneJobs(ctx.pool(), ctx.schema, { olderThanMs, ...(task && { task }) });
  const alerts = await pruneAlerts(ctx.pool(), ctx.schema, { olderThanMs, ...(task && { task }) });
  return { olderThan: options.olderThan, task: options.task ?? null, ...result, alerts };
}

export function printPrune(out: Output, outcome: PruneOutcome): void {
  const { complete, failed, cancelled } = outcome.deleted;
  const scope = outcome.task ? ` ${outcome.task}` : '';
  const { delivered, undelivered } = outcome.alerts;
  const alerts = delivered + undelivered;
  const alertLine =
    alerts === 0
      ? ''
      : `Deleted ${alerts} failure alert${alerts === 1 ? '' : 's'} raised before then: ${delivered} delivered, ${undelivered} undelivered.`;
  if (outcome.total === 0) {
    out.write(`Nothing to prune: no${scope} jobs finished before ${formatTime(outcome.before)}.${alertLine ? `\n${alertLine}` : ''}`);
    return;
  }
  out.write(
    `Deleted ${outcome.total}${scope} job${outcome.total === 1 ? '' : 's'} that finished before ${formatTime(outcome.before)}, with their history: ` +
      `${complete} complete, ${failed} failed, ${cancelled} cancelled.`,
  );
  if (alertLine) out.write(alertLine);
}

export function registerPruneCommand(program: Command, out: Output): void {
  withCommonOptions(
    program
      .command('prune')
      .description(
        'delete finished jobs (complete, failed, cancelled) and their history, never waiting or running ones, and old failure alerts',
      )
      .requiredOption('--older-than <duration>', 'delete jobs that finished longer ago than this, e.g. 7d')
      .option('--task <type.task>', "only this task's jobs"),
  ).action(async (options: CommonOptions & { olderThan: string; task?: string }) => {
    await execute(
      options,
      out,
      (ctx) => pruneCommand(ctx, { olderThan: options.olderThan, ...(options.task !== undefined && { task: options.task }) }),
      printPrune,
    );
  });
}
