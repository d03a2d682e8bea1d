import type { Command } from 'commander';
import { cancelJobs, parseJobId, type CancelOutcome } from 'jobmaster';
import type { CliContext } from '../cli-context.js';
import { execute, withCommonOptions, type CommonOptions } from '../command-runner.js';
import type { Output } from '../output.js';

/**
 * `jm cancel JOB_ID...`: waiting jobs are cancelled now; running ones are asked to stop (their
 * worker aborts them at its next heartbeat). An unknown id changes nothing and fails.
 */
export async function cancelCommand(ctx: CliContext, jobIds: string[]): Promise<CancelOutcome[]> {
  const ids = jobIds.map(parseJobId);
  return await cancelJobs(ctx.pool(), ctx.schema, ids);
}

export function printCancel(out: Output, outcomes: CancelOutcome[]): void {
  const c = out.color;
  for (const o of outcomes) {
    if (o.outcome === 'cancelled') out.write(`Job ${o.id}: ${c.gray('cancelled')}.`);
    else if (o.outcome === 'cancel_requested')
      out.write(`Job ${o.id}: ${c.cyan('running')}; cancel requested, its worker stops it at the next heartbeat.`);
    else out.write(`Job ${o.id}: already ${o.status}; left alone.`);
  }
}

export function registerCancelCommand(program: Command, out: Output): void {
  withCommonOptions(
    program
      .command('cancel')
      .description('cancel waiting jobs, and ask the workers of running ones to stop them')
      .argument('<job_id...>', 'ids of the jobs to cancel'),
  ).action(async (jobIds: string[], options: CommonOptions) => {
    await execute(options, out, (ctx) => cancelCommand(ctx, jobIds), printCancel);
  });
}
