/** Programmatic access to the `jm` command tree (for embedders): `(await buildProgram(out, args)).parseAsync(...)`. */
export { buildProgram } from './program.js';
export { terminalOutput, type Output } from './output.js';
