import type { Command } from 'commander';
import {
  InvalidArgumentsError,
  focusTaskGraph,
  parseGraphFormat,
  readDeployedTaskGraph,
  renderTaskGraph,
  selectGraphWorkflow,
  taskGraphFromCode,
  type GraphFormat,
  type TaskGraph,
} from 'jobmaster';
import type { CliContext } from '../cli-context.js';
import { execute, withCommonOptions, type CommonOptions } from '../command-runner.js';
import type { Output } from '../output.js';

export interface GraphOptions {
  /** Only this workflow. */
  workflow?: string;
  /** Only this task and its upstream and downstream (type_key.task_key). */
  task?: string;
  /** mermaid, dot or json. (Default: mermaid) */
  format?: string;
  /** Read what `jm deploy` synced into the database instead of the code. (Default: false) */
  deployed?: boolean;
}

export interface GraphResult {
  format: GraphFormat;
  graph: TaskGraph;
  /** The graph in `format`, as printed. */
  text: string;
}

/**
 * `jm graph [WORKFLOW] [--task T] [--format mermaid|dot|json] [--deployed]`: the task
 * dependency graph and the workflows, from the code (task modules and workflow files) or,
 * with --deployed, from the database.
 */
export async function graphCommand(ctx: CliContext, options: GraphOptions): Promise<GraphResult> {
  const format = parseGraphFormat(options.format ?? 'mermaid');
  if (options.workflow !== undefined && options.task !== undefined) {
    throw new InvalidArgumentsError('Give a workflow or --task, not both (a workflow is drawn whole)');
  }
  let graph = options.deployed
    ? await readDeployedTaskGraph(ctx.pool(), ctx.schema)
    : taskGraphFromCode(await ctx.definitions(), await ctx.workflows());
  if (options.workflow !== undefined) graph = selectGraphWorkflow(graph, options.workflow);
  if (options.task !== undefined) graph = focusTaskGraph(graph, options.task);
  return { format, graph, text: renderTaskGraph(graph, format) };
}

export function registerGraphCommand(program: Command, out: Output): void {
  withCommonOptions(
    program
      .command('graph')
      .description('print the task dependency graph and the workflows (Mermaid, Graphviz DOT or JSON)')
      .argument('[workflow]', 'only this workflow')
      .option('--task <type.task>', 'only this task and what it depends on and what depends on it')
      .option('--format <format>', 'mermaid, dot or json (default: mermaid)')
      .option('--deployed', 'read the deployed registry and workflows from the database instead of the code'),
  ).action(async (workflow: string | undefined, options: CommonOptions & { format?: string; task?: string; deployed?: boolean }) => {
    await execute(
      options,
      out,
      (ctx) =>
        graphCommand(ctx, {
          ...(workflow !== undefined && { workflow }),
          ...(options.task !== undefined && { task: options.task }),
          ...(options.format !== undefined && { format: options.format }),
          deployed: Boolean(options.deployed),
        }),
      (o: Output, result) => o.write(result.text),
      { repeatable: true },
    );
  });
}
