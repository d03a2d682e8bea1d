import type { Command } from 'commander';
import { explainJob, type JobExplanation } from 'jobmaster';
import type { CliContext } from '../cli-context.js';
import { execute, withCommonOptions, type CommonOptions } from '../command-runner.js';
import type { Output } from '../output.js';

/** `jm explain JOB_ID`: why the job is not running now, or what happened to it. */
export async function explainCommand(ctx: CliContext, jobId: string): Promise<JobExplanation> {
  return await explainJob(ctx.pool(), ctx.schema, jobId);
}

export function printExplanation(out: Output, e: JobExplanation): void {
  const c = out.color;
  const lines = [`job ${e.id} (${e.task}) is ${e.status}`];
  for (const [i, r] of e.reasons.entries()) {
    const code = i === 0 ? c.bold(r.code) : r.code;
    lines.push(`  ${r.code === 'claimable' ? c.green(code) : code}: ${r.message}`);
  }
  out.write(lines.join('\n'));
}

export function registerExplainCommand(program: Command, out: Output): void {
  withCommonOptions(
    program
      .command('explain')
      .description('say why a job is not running now (by the claim rules), or what happened to it')
      .argument('<job_id>', 'the job'),
  ).action(async (jobId: string, options: CommonOptions) => {
    await execute(options, out, (ctx) => explainCommand(ctx, jobId), printExplanation, { repeatable: true });
  });
}
