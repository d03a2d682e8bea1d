/**
 * The `jm` program: the only place that turns errors into exit codes. Run by main.ts, from
 * the bundle when it is current, else as these modules.
 * Exit codes: 0 success; 1 a command failed (bad input, unreachable database, failed jobs);
 * 2 the command line itself was wrong; 130 `jm run` interrupted twice (see ExitRequest).
 */
import { CommanderError } from 'commander';
import { isJobMasterError } from 'jobmaster';
import { ExitRequest } from './exit-request.js';
import { buildProgram } from './program.js';
import { terminalOutput } from './output.js';
import { removeNavigatorStandIn } from './navigator-stand-in.js';
import { printWarningsOnOneLine } from './one-line-warnings.js';

const out = terminalOutput();
printWarningsOnOneLine((line) => out.error(line));

// A closed pipe (`jm status --watch | head`) is the reader leaving, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

function databaseMessage(error: unknown): string | undefined {
  const err = error as { code?: unknown; severity?: unknown; message?: string };
  // Errors raised by PostgreSQL itself carry a severity and SQLSTATE; they are not bugs in jm.
  if (typeof err?.severity === 'string' && typeof err.code === 'string') return `database error: ${err.message}`;
  return undefined;
}

/**
 * Builds the program and runs the command line. Not awaited at the top level: the modules
 * of commands are loaded from here, and a module that awaited at its top level would block
 * any of them that imports it (in the bundle, a chunk they share with this one).
 */
async function main(): Promise<void> {
  // Loads the modules of the command the line names (see buildProgram).
  const program = await buildProgram(out, process.argv.slice(2));
  // Every module (pg included) is loaded by now.
  removeNavigatorStandIn();
  await program.parseAsync(process.argv);
}

/** Turns what a command threw into a message and an exit code. */
function exitFor(error: unknown): void {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof ExitRequest) {
    // Work may still hold the event loop open (a job ignoring its abort signal): end now.
    if (error.message) out.error(`jm: ${error.message}`);
    process.exit(error.exitCode);
  } else if (isJobMasterError(error)) {
    out.error(`jm: ${out.color.red(error.message)}`);
    process.exitCode = 1;
  } else if (databaseMessage(error)) {
    out.error(`jm: ${out.color.red(databaseMessage(error)!)}`);
    process.exitCode = 1;
  } else {
    // Not a user error: show everything so it can be reported.
    out.error(`jm: internal error: ${(error as Error)?.stack ?? String(error)}`);
    process.exitCode = 70;
  }
}

void main().catch(exitFor);
