import { Command, Option } from 'commander';
import { CliContext } from './cli-context.js';
import { printJson, type Output } from './output.js';

/** Options every command accepts. */
export interface CommonOptions {
  databaseUrl?: string;
  schema?: string;
  tasks?: string[];
  workflows?: string[];
  config?: string;
  json?: boolean | string;
  output?: string;
}

/** Accumulates a repeatable option into a list. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * Adds the options every command shares. `jsonFlag: false` leaves `--json` free for a
 * command that uses it for something else (`jm enqueue --json '{...}'`); `--output json` still works.
 */
export function withCommonOptions(command: Command, { jsonFlag = true } = {}): Command {
  command
    .option('--database-url <url>', 'PostgreSQL connection string (default: $DATABASE_URL)')
    .option('--schema <name>', 'schema JobMaster lives in (default: $JM_SCHEMA or "jobmaster")')
    .option('--tasks <glob>', 'task modules to load, repeatable (default: $JM_TASKS or jobmaster.config.json)', collect)
    .option('--workflows <glob>', 'workflow files to load, repeatable (default: $JM_WORKFLOWS or jobmaster.config.json)', collect)
    .option('--config <file>', 'config file (default: jobmaster.config.json in this or a parent directory)')
    .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'));
  if (jsonFlag) command.option('--json', 'print one JSON document (same as --output json)');
  return command;
}

/** True when the command should print JSON. */
export function wantsJson(options: CommonOptions, { jsonFlag = true } = {}): boolean {
  return options.output === 'json' || (jsonFlag && options.json === true);
}

/**
 * Runs one command with a context built from its options and prints its value as text or
 * JSON; the context (and its database pool) is always closed afterwards. Connection
 * failures become one-line errors. A `repeatable` command (a read, or a write the queue's
 * rules make idempotent) whose embedded database server dies under it runs once more, once
 * the server that replaces it is up; any other command reports the stop in one line (a write
 * made with `ctx.writeOnce` repeats itself when it did not commit).
 */
export async function execute<T>(
  options: CommonOptions,
  out: Output,
  run: (ctx: CliContext) => Promise<T>,
  print: (out: Output, value: T) => void,
  { jsonFlag = true, repeatable = false } = {},
): Promise<T> {
  const ctx = new CliContext({
    ...(options.databaseUrl !== undefined && { databaseUrl: options.databaseUrl }),
    ...(options.schema !== undefined && { schema: options.schema }),
    ...(options.tasks !== undefined && { tasks: options.tasks }),
    ...(options.workflows !== undefined && { workflows: options.workflows }),
    ...(options.config !== undefined && { config: options.config }),
  });
  try {
    let value: T;
    try {
      value = await run(ctx);
    } catch (error) {
      if (!repeatable || !ctx.embeddedServerStopped(error)) throw error;
      ctx.reopen();
      value = await run(ctx);
    }
    if (wantsJson(options, { jsonFlag })) printJson(out, value);
    else print(out, value);
    return value;
  } catch (error) {
    throw ctx.translate(error);
  } finally {
    await ctx.close();
  }
}
