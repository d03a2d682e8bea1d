/**
 * The embedded PostgreSQL that `jm` uses when no DATABASE_URL is set: PGlite in a local
 * directory, served by one background process per directory over a local socket, so that
 * several processes can use the directory at once through ordinary `pg` pools.
 */
export { createEmbeddedPool, embeddedServerFirstXid, type EmbeddedPoolOptions } from './embedded-pool.js';
export { serveEmbeddedDatabase, EMBEDDED_POSTGRES_SETTINGS, type ServeOptions } from './embedded-server.js';
export { isServerLoss } from './server-loss.js';
export { EmbeddedDatabaseError, EmbeddedServerStoppedError } from './errors.js';
