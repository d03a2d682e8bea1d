import { join } from 'node:path';
import { JobMasterError } from 'jobmaster';

/** The embedded database (PGlite in a local directory) could not be started or reached. */
export class EmbeddedDatabaseError extends JobMasterError {
  override readonly code: string = 'JM_EMBEDDED_DATABASE';
}

/**
 * The process serving the embedded database went away (killed, crashed, stopped) while a
 * statement of this process ran. PostgreSQL rolls back what was not committed when the next
 * server opens the directory, so the statement left nothing behind.
 */
export class EmbeddedServerStoppedError extends EmbeddedDatabaseError {
  override readonly code = 'JM_EMBEDDED_SERVER_STOPPED';
  constructor(
    /** The data directory whose server stopped. */
    readonly dataDir: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The embedded database server stopped (killed or crashed) while this command's statement ran: the statement was rolled back and nothing of it was written; run the command again (server log: ${join(dataDir, 'server.log')})`,
      options,
    );
  }
}
