/** Programmatic access to the `jm` command tree (used by tests and embedders). */
export { buildProgram } from './program.js';
export { terminalOutput, type Output } from './output.js';
