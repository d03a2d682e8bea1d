import type { Command } from 'commander';
import type { ResolvedWorkflow } from 'jobmaster';
import type { CliContext } from '../cli-context.js';
import { execute, withCommonOptions, type CommonOptions } from '../command-runner.js';
import { formatTable, type Output } from '../output.js';

export interface WorkflowsOptions {
  /** Validate only, for CI: the value says how many workflows are valid. */
  check: boolean;
}

export interface WorkflowsListing {
  check: boolean;
  workflows: ResolvedWorkflow[];
}

/**
 * `jm workflows`: the workflows of the project (files and code), checked against the registry.
 * Throws InvalidWorkflowError (one line per problem, exit 1) when any is invalid.
 */
export async function workflowsCommand(ctx: CliContext, options: WorkflowsOptions): Promise<WorkflowsListing> {
  return { check: options.check, workflows: await ctx.workflows() };
}

export function printWorkflows(out: Output, listing: WorkflowsListing): void {
  const { workflows } = listing;
  if (listing.check) {
    out.write(`${workflows.length} workflow${workflows.length === 1 ? '' : 's'} valid.`);
    return;
  }
  if (workflows.length === 0) {
    out.write(
      'No workflows declared (pass --workflows "workflows/*.yaml", set JM_WORKFLOWS, or add {"workflows": ...} to jobmaster.config.json).',
    );
    return;
  }
  const rows = workflows.map((w) => [
    w.name,
    String(w.steps.length),
    w.steps.map((s) => s.id).join(', '),
    w.params.map((p) => `${p.name}${p.required ? '' : '?'}: ${p.type}`).join(', '),
    w.schedule?.cron ?? '',
    w.sourceFile ?? '',
  ]);
  out.write(
    formatTable(['workflow', 'steps', 'step ids', 'params', 'schedule', 'source'], rows, (col, cell) =>
      col === 0 ? out.color.bold(cell) : cell,
    ),
  );
}

export function registerWorkflowsCommand(program: Command, out: Output): void {
  withCommonOptions(
    program
      .command('workflows')
      .description('list the workflows (files and code), checked against the task registry')
      .option('--check', 'validate only (for CI): exit 1 with one line per problem'),
  ).action(async (options: CommonOptions & { check?: boolean }) => {
    await execute(options, out, (ctx) => workflowsCommand(ctx, { check: Boolean(options.check) }), printWorkflows);
  });
}
