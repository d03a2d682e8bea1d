import { createRequire } from 'node:module';
import { Command } from 'commander';
import type { Output } from './output.js';

type Register = (program: Command, out: Output) => void;

/**
 * Each command's module, by the command's name, in the order of `jm --help`. A command line
 * that names a command loads that module alone: the others (their code and what only they
 * import) are not read at all, which is 6–15 ms of a short command's start-up.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  deploy: async () => (await import('./commands/deploy.js')).registerDeployCommand,
  enqueue: async () => (await import('./commands/enqueue.js')).registerEnqueueCommand,
  explain: async () => (await import('./commands/explain.js')).registerExplainCommand,
  tasks: async () => (await import('./commands/tasks.js')).registerTasksCommand,
  status: async () => (await import('./commands/status.js')).registerStatusCommand,
  cancel: async () => (await import('./commands/cancel.js')).registerCancelCommand,
  retry: async () => (await import('./commands/retry.js')).registerRetryCommand,
  prune: async () => (await import('./commands/prune.js')).registerPruneCommand,
  run: async () => (await import('./commands/run.js')).registerRunCommand,
  sql: async () => (await import('./commands/sql.js')).registerSqlCommand,
  schedule: async () => (await import('./commands/schedule.js')).registerScheduleCommand,
  workflows: async () => (await import('./commands/workflows.js')).registerWorkflowsCommand,
  workflow: async () => (await import('./commands/workflow.js')).registerWorkflowCommand,
  graph: async () => (await import('./commands/graph.js')).registerGraphCommand,
  serve: async () => (await import('./commands/serve.js')).registerServeCommand,
  token: async () => (await import('./commands/token.js')).registerTokenCommand,
};

/**
 * Builds the `jm` command tree for a command line (`args`: what follows `jm`); commander only
 * parses, the command functions do the work. When the first argument names a command, only
 * that command is built; otherwise (`--help`, `help`, `--version`, a mistyped command, which
 * commander answers with the closest name) every command is.
 */
export async function buildProgram(out: Output, args: readonly string[] = []): Promise<Command> {
  const program = new Command('jm')
    .description('JobMaster: a PostgreSQL job scheduler. Deploy tasks, enqueue jobs, run them, see what happens.')
    .version(cliVersion(), '-V, --version', 'print the version of jm')
    .showHelpAfterError('(run "jm <command> --help" for usage)')
    .configureOutput({ writeErr: (text) => out.error(text.trimEnd()) })
    // Before any subcommand exists: commander copies this setting into each one it creates,
    // so usage errors anywhere reach main.ts (exit code 2) instead of exiting from inside.
    .exitOverride();

  // Each command file owns its options and output.
  const named = args[0] !== undefined && Object.hasOwn(COMMANDS, args[0]) ? [args[0]] : Object.keys(COMMANDS);
  const registers = await Promise.all(named.map((name) => COMMANDS[name]!()));
  for (const register of registers) register(program, out);
  return program;
}

function cliVersion(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}
