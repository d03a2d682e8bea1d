import { JobMasterError } from 'jobmaster';

/** The embedded database (PGlite in a local directory) could not be started or reached. */
export class EmbeddedDatabaseError extends JobMasterError {
  override readonly code = 'JM_EMBEDDED_DATABASE';
}
