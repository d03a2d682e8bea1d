/**
 * `@jobmaster/embedded/client`: what a process using an embedded database needs, without
 * PGlite, which only the serving process loads. Importing PGlite's module cost each `jm`
 * command about 0.15 s (median of 8 runs of `node` on a file that imports it: 0.54 s, on an
 * empty file: 0.38 s).
 */
export { createEmbeddedPool, embeddedServerFirstXid, type EmbeddedPoolOptions } from './embedded-pool.js';
export { isServerLoss } from './server-loss.js';
export { EmbeddedDatabaseError, EmbeddedServerStoppedError } from './errors.js';
