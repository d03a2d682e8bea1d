import type { Command } from 'commander';
import { JobMasterError, deploy, describeReset, type DeployResult, type ResetImpact } from 'jobmaster';
import type { CliContext } from '../cli-context.js';
import { execute, wantsJson, withCommonOptions, type CommonOptions } from '../command-runner.js';
import type { Output } from '../output.js';
import { confirmOnTerminal } from '../prompt.js';

export interface DeployOptions {
  reset: boolean;
  yes: boolean;
}

/** Asks the user a yes/no question; resolves false when there is no one to ask. */
export type Confirm = (question: string) => Promise<boolean>;

export type DeployOutcome = DeployResult | { schema: string; reset: true; cancelled: true };

/** `jm deploy`: validate the registry, then migrate and sync it, optionally after dropping the schema. */
export async function deployCommand(ctx: CliContext, options: DeployOptions, confirm: Confirm): Promise<DeployOutcome> {
  // Registry errors must stop the deploy before anything is written.
  const definitions = await ctx.definitions();
  const workflows = await ctx.workflows();
  const pool = ctx.pool();
  if (options.reset && !options.yes) {
    const impact = await describeReset(pool, ctx.schema);
    if (impact.exists && !(await confirm(`${describeImpact(impact)} Continue?`))) {
      return { schema: ctx.schema, reset: true, cancelled: true };
    }
  }
  return await deploy(pool, { schema: ctx.schema, definitions, workflows, reset: options.reset });
}

/** One sentence naming what `--reset` destroys. */
export function describeImpact(impact: ResetImpact): string {
  const statuses = Object.entries(impact.jobsByStatus)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  return `--reset drops schema "${impact.schema}" with ${impact.tasks} registered tasks and ${impact.jobs} jobs${statuses ? ` (${statuses})` : ''}, and their history.`;
}

export function printDeploy(out: Output, outcome: DeployOutcome): void {
  if ('cancelled' in outcome) {
    out.write('Deploy cancelled; nothing was changed.');
    return;
  }
  const { tasks } = outcome;
  const total = tasks.added.length + tasks.changed.length + tasks.unchanged;
  const schemaLine = outcome.migrationsApplied.length
    ? `${outcome.reset ? 'Recreated' : 'Deployed'} schema "${outcome.schema}": applied ${outcome.migrationsApplied.join(', ')}.`
    : `Schema "${outcome.schema}" is up to date.`;
  out.write(schemaLine);
  const changes = [
    ...tasks.added.map((t) => `  ${out.color.green('+')} ${t}`),
    ...tasks.changed.map((t) => `  ${out.color.yellow('~')} ${t}`),
    ...tasks.removed.map((t) => `  ${out.color.red('-')} ${t}`),
  ];
  out.write(
    changes.length
      ? `Registry: ${total} tasks (${tasks.added.length} added, ${tasks.changed.length} changed, ${tasks.removed.length} removed)\n${changes.join('\n')}`
      : `Registry unchanged: ${total} tasks.`,
  );
  const { schedules } = outcome;
  const declared = schedules.added.length + schedules.changed.length + schedules.unchanged;
  const scheduleChanges = [
    ...schedules.added.map((t) => `  ${out.color.green('+')} ${t}`),
    ...schedules.changed.map((t) => `  ${out.color.yellow('~')} ${t}`),
    ...schedules.removed.map((t) => `  ${out.color.red('-')} ${t}`),
  ];
  if (scheduleChanges.length) {
    out.write(
      `Schedules in code: ${declared} (${schedules.added.length} added, ${schedules.changed.length} changed, ${schedules.removed.length} removed)\n${scheduleChanges.join('\n')}`,
    );
  } else if (declared > 0) {
    out.write(`Schedules in code unchanged: ${declared}.`);
  }
  const { workflows } = outcome;
  const workflowCount = workflows.added.length + workflows.changed.length + workflows.unchanged;
  const workflowChanges = [
    ...workflows.added.map((t) => `  ${out.color.green('+')} ${t}`),
    ...workflows.changed.map((t) => `  ${out.color.yellow('~')} ${t}`),
    ...workflows.removed.map((t) => `  ${out.color.red('-')} ${t}`),
  ];
  if (workflowChanges.length) {
    out.write(
      `Workflows: ${workflowCount} (${workflows.added.length} added, ${workflows.changed.length} changed, ${workflows.removed.length} removed)\n${workflowChanges.join('\n')}`,
    );
  } else if (workflowCount > 0) {
    out.write(`Workflows unchanged: ${workflowCount}.`);
  }
}

/** The refusal used when `--reset` has nobody to confirm it. */
export function resetNeedsConfirmation(impact: string): JobMasterError {
  return new JobMasterError(`${impact} Pass --yes to confirm.`);
}

export function registerDeployCommand(program: Command, out: Output): void {
  withCommonOptions(
    program
      .command('deploy')
      .description('create or upgrade the schema, then sync the task registry into it')
      .option('--reset', 'drop the schema first (destroys every job; asks unless --yes)')
      .option('-y, --yes', 'do not ask for confirmation'),
  ).action(async (options: CommonOptions & { reset?: boolean; yes?: boolean }) => {
    await execute(
      options,
      out,
      (ctx) =>
        deployCommand(ctx, { reset: Boolean(options.reset), yes: Boolean(options.yes) }, async (question) => {
          if (wantsJson(options) || !process.stdin.isTTY) throw resetNeedsConfirmation(question.replace(/ Continue\?$/, ''));
          return await confirmOnTerminal(question);
        }),
      printDeploy,
      // Deploying is idempotent (migrations under an advisory lock, registry upserts); a reset
      // is not repeated, since it asked before dropping.
      { repeatable: !options.reset },
    );
  });
}
