import { createRequire } from 'node:module';
import { Command } from 'commander';
import { registerDeployCommand } from './commands/deploy.js';
import { registerEnqueueCommand } from './commands/enqueue.js';
import { registerExplainCommand } from './commands/explain.js';
import { registerTasksCommand } from './commands/tasks.js';
import { registerStatusCommand } from './commands/status.js';
import { registerCancelCommand } from './commands/cancel.js';
import { registerRetryCommand } from './commands/retry.js';
import { registerPruneCommand } from './commands/prune.js';
import { registerRunCommand } from './commands/run.js';
import { registerSqlCommand } from './commands/sql.js';
import { registerScheduleCommand } from './commands/schedule.js';
import { registerWorkflowsCommand } from './commands/workflows.js';
import { registerWorkflowCommand } from './commands/workflow.js';
import { registerGraphCommand } from './commands/graph.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTokenCommand } from './commands/token.js';
import type { Output } from './output.js';

/** Builds the `jm` command tree; commander only parses, the command functions do the work. */
export function buildProgram(out: Output): Command {
  const program = new Command('jm')
    .description('JobMaster: a PostgreSQL job scheduler. Deploy tasks, enqueue jobs, run them, see what happens.')
    .version(cliVersion(), '-V, --version', 'print the version of jm')
    .showHelpAfterError('(run "jm <command> --help" for usage)')
    .configureOutput({ writeErr: (text) => out.error(text.trimEnd()) })
    // Before any subcommand exists: commander copies this setting into each one it creates,
    // so usage errors anywhere reach main.ts (exit code 2) instead of exiting from inside.
    .exitOverride();

  // One line per command; each command file owns its options and output.
  registerDeployCommand(program, out);
  registerEnqueueCommand(program, out);
  registerExplainCommand(program, out);
  registerTasksCommand(program, out);
  registerStatusCommand(program, out);
  registerCancelCommand(program, out);
  registerRetryCommand(program, out);
  registerPruneCommand(program, out);
  registerRunCommand(program, out);
  registerSqlCommand(program, out);
  registerScheduleCommand(program, out);
  registerWorkflowsCommand(program, out);
  registerWorkflowCommand(program, out);
  registerGraphCommand(program, out);
  registerServeCommand(program, out);
  registerTokenCommand(program, out);

  return program;
}

function cliVersion(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}
