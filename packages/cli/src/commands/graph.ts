import type { Command } from 'commander';
import { InvalidArgumentsError, UnknownWorkflowError, parseGraphFormat, renderWorkflowGraph } from 'jobmaster';
import type { CliContext } from '../cli-context.js';
import { execute, withCommonOptions, type CommonOptions } from '../command-runner.js';
import type { Output } from '../output.js';

/** `jm graph [WORKFLOW] [--format mermaid|dot]`: the workflows (or one) as diagrams, from the files and code. */
export async function graphCommand(
  ctx: CliContext,
  options: { workflow?: string; format?: string },
): Promise<{ workflow: string; format: string; graph: string }[]> {
  const format = parseGraphFormat(options.format ?? 'mermaid');
  const workflows = await ctx.workflows();
  const chosen = options.workflow === undefined ? workflows : workflows.filter((w) => w.name === options.workflow);
  if (options.workflow !== undefined && chosen.length === 0) throw new UnknownWorkflowError(options.workflow);
  if (chosen.length === 0)
    throw new InvalidArgumentsError('No workflows declared: pass --workflows "workflows/*.yaml" (or set JM_WORKFLOWS)');
  return chosen.map((w) => ({ workflow: w.name, format, graph: renderWorkflowGraph(w, format) }));
}

export function registerGraphCommand(program: Command, out: Output): void {
  withCommonOptions(
    program
      .command('graph')
      .description('print workflows as diagrams (Mermaid or Graphviz DOT)')
      .argument('[workflow]', 'only this workflow')
      .option('--format <format>', 'mermaid or dot (default: mermaid)'),
  ).action(async (workflow: string | undefined, options: CommonOptions & { format?: string }) => {
    await execute(
      options,
      out,
      (ctx) =>
        graphCommand(ctx, { ...(workflow !== undefined && { workflow }), ...(options.format !== undefined && { format: options.format }) }),
      (o: Output, graphs) => o.write(graphs.map((g) => g.graph).join('\n\n')),
    );
  });
}
