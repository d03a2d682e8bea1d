import type { Command } from 'commander';
import { InvalidArgumentsError, parseJobId, requireKnownTask, retryFailedJobs, retryJobs, type RetryOutcome } from 'jobmaster';
import type { CliContext } from '../cli-context.js';
import { execute, withCommonOptions, type CommonOptions } from '../command-runner.js';
import { parseTaskFlag } from '../filter-flags.js';
import type { Output } from '../output.js';

/** What `jm retry` is asked to put back. */
export interface RetryOptions {
  jobIds: string[];
  /** Every failed job (of `task`, if given). */
  failed?: boolean;
  /** `type_key.task_key`, with `failed` only. */
  task?: string;
}

/**
 * `jm retry JOB_ID...` or `jm retry --failed [--task x.y]`: failed or cancelled jobs wait again
 * with their attempts reset. An unknown id changes nothing and fails.
 */
export async function retryCommand(ctx: CliContext, options: RetryOptions): Promise<RetryOutcome[]> {
  if (options.failed && options.jobIds.length) throw new InvalidArgumentsError('Give job ids or --failed, not both');
  if (!options.failed && !options.jobIds.length)
    throw new InvalidArgumentsError('Give the ids of the jobs to retry, or --failed for every failed job');
  if (options.task !== undefined && !options.failed) throw new InvalidArgumentsError('--task selects failed jobs: use it with --failed');
  if (options.failed) {
    const task = options.task === undefined ? undefined : parseTaskFlag(options.task);
    if (task) await requireKnownTask(ctx.pool(), ctx.schema, task);
    return await retryFailedJobs(ctx.pool(), ctx.schema, task ? { task } : {});
  }
  const ids = options.jobIds.map(parseJobId);
  return await retryJobs(ctx.pool(), ctx.schema, ids);
}

export function printRetry(out: Output, outcomes: RetryOutcome[]): void {
  const c = out.color;
  if (outcomes.length === 0) {
    out.write('No failed jobs to retry.');
    return;
  }
  for (const o of outcomes) {
    if (o.outcome === 'retried') out.write(`Job ${o.id}: ${c.yellow('waiting')} again.`);
    else if (o.outcome === 'duplicate')
      out.write(`Job ${o.id}: not retried; identical job ${o.twinId ?? '?'} is already waiting or running.`);
    else if (o.outcome === 'not_found') out.write(`Job ${o.id}: deleted meanwhile.`);
    else out.write(`Job ${o.id}: ${o.status ?? '?'}; only failed or cancelled jobs can be retried.`);
  }
  const retried = outcomes.filter((o) => o.outcome === 'retried').length;
  if (outcomes.length > 1) out.write(`${retried} of ${outcomes.length} jobs put back on the queue.`);
}

export function registerRetryCommand(program: Command, out: Output): void {
  withCommonOptions(
    program
      .command('retry')
      .description('put failed or cancelled jobs back on the queue with their attempts reset')
      .argument('[job_id...]', 'ids of the jobs to retry')
      .option('--failed', 'retry every failed job')
      .option('--task <type.task>', "with --failed: only this task's failed jobs"),
  ).action(async (jobIds: string[], options: CommonOptions & { failed?: boolean; task?: string }) => {
    await execute(
      options,
      out,
      (ctx) =>
        retryCommand(ctx, {
          jobIds,
          ...(options.failed && { failed: true }),
          ...(options.task !== undefined && { task: options.task }),
        }),
      printRetry,
    );
  });
}
