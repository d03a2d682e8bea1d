import { Command, Option } from 'commander';
import { CliContext } from './cli-context.js';
import { deployCommand, describeImpact, printDeploy, resetNeedsConfirmation } from './commands/deploy.js';
import { enqueueCommand, printEnqueue } from './commands/enqueue.js';
import { printTasks, tasksCommand, tasksToJson } from './commands/tasks.js';
import { printJson, type Output } from './output.js';
import { confirmOnTerminal } from './prompt.js';

/** Options every command accepts. */
interface CommonOptions {
  databaseUrl?: string;
  schema?: string;
  tasks?: string[];
  config?: string;
  json?: boolean;
  output?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function withCommonOptions(command: Command, { jsonFlag = true } = {}): Command {
  command
    .option('--database-url <url>', 'PostgreSQL connection string (default: $DATABASE_URL)')
    .option('--schema <name>', 'schema JobMaster lives in (default: $JM_SCHEMA or "jobmaster")')
    .option('--tasks <glob>', 'task modules to load, repeatable (default: $JM_TASKS or jobmaster.config.json)', collect)
    .option('--config <file>', 'config file (default: jobmaster.config.json in this or a parent directory)')
    .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'));
  if (jsonFlag) command.option('--json', 'print one JSON document (same as --output json)');
  return command;
}

/**
 * Runs one command with a context built from its options, printing its value as text or JSON.
 * The context (and its database pool) is always closed afterwards.
 */
async function execute<T>(
  options: CommonOptions,
  out: Output,
  run: (ctx: CliContext) => Promise<T>,
  print: (out: Output, value: T) => void,
  { jsonFlag = true } = {},
): Promise<void> {
  const ctx = new CliContext({
    ...(options.databaseUrl !== undefined && { databaseUrl: options.databaseUrl }),
    ...(options.schema !== undefined && { schema: options.schema }),
    ...(options.tasks !== undefined && { tasks: options.tasks }),
    ...(options.config !== undefined && { config: options.config }),
  });
  try {
    const value = await run(ctx);
    if (options.output === 'json' || (jsonFlag && options.json)) printJson(out, value);
    else print(out, value);
  } catch (error) {
    throw ctx.translate(error);
  } finally {
    await ctx.close();
  }
}

/** Builds the `jm` command tree; commander only parses, the command functions do the work. */
export function buildProgram(out: Output): Command {
  const program = new Command('jm')
    .description('JobMaster: a PostgreSQL job scheduler. Deploy tasks, enqueue jobs, run them, see what happens.')
    .showHelpAfterError('(run "jm --help" for usage)')
    .configureOutput({ writeErr: (text) => out.error(text.trimEnd()) });

  withCommonOptions(
    program
      .command('deploy')
      .description('create or upgrade the schema, then sync the task registry into it')
      .option('--reset', 'drop the schema first (destroys every job; asks unless --yes)')
      .option('-y, --yes', 'do not ask for confirmation'),
  ).action(async (options: CommonOptions & { reset?: boolean; yes?: boolean }) => {
    const jsonMode = options.output === 'json' || Boolean(options.json);
    await execute(
      options,
      out,
      (ctx) =>
        deployCommand(ctx, { reset: Boolean(options.reset), yes: Boolean(options.yes) }, async (question) => {
          if (jsonMode || !process.stdin.isTTY) throw resetNeedsConfirmation(question.replace(/ Continue\?$/, ''));
          return await confirmOnTerminal(question);
        }),
      printDeploy,
    );
  });

  withCommonOptions(
    program
      .command('enqueue')
      .description('put one job on the queue and print its id')
      .argument('<type_key>', 'type key of the task, e.g. things1')
      .argument('<task_key>', 'task key of the task, e.g. foo')
      .option('--json <arguments>', 'arguments as a JSON object, e.g. \'{"number": 2}\'')
      .option('-a, --arg <name=value>', 'one argument (value parsed as JSON when it can be), repeatable', collect)
      .option('-p, --priority <n>', 'higher runs first (default: 0)')
      .option('--run-at <time>', 'do not start before this ISO 8601 time')
      .option('--delay <duration>', 'do not start before this long from now, e.g. 15m'),
    { jsonFlag: false },
  ).action(async (typeKey: string, taskKey: string, options: CommonOptions & { json?: string; arg?: string[]; priority?: string; runAt?: string; delay?: string }) => {
    await execute(
      { ...options, json: false },
      out,
      (ctx) =>
        enqueueCommand(ctx, {
          typeKey,
          taskKey,
          ...(options.json !== undefined && { json: options.json as unknown as string }),
          ...(options.arg && { arg: options.arg }),
          ...(options.priority !== undefined && { priority: options.priority }),
          ...(options.runAt !== undefined && { runAt: options.runAt }),
          ...(options.delay !== undefined && { delay: options.delay }),
        }),
      printEnqueue,
      { jsonFlag: false },
    );
  });

  withCommonOptions(program.command('tasks').description('list the registered tasks with their parameters and dependencies')).action(
    async (options: CommonOptions) => {
      await execute(options, out, tasksCommand, printTasks);
    },
  );

  return program;
}
