import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { EmbeddedDatabaseError } from './errors.js';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'its file system is read-only',
  ENOENT: 'no directory can be created there',
};

/**
 * Makes sure `dataDir` is a directory this process can write, creating it (and its missing
 * parents) if needed; throws EmbeddedDatabaseError naming the directory and the reason.
 * Parents are created one at a time: Node's recursive mkdir loops forever where mkdir fails
 * with ENOENT under an existing directory (anywhere under /proc).
 */
export function prepareDataDir(dataDir: string): void {
  const fail = (reason: string): never => {
    throw new EmbeddedDatabaseError(
      `Cannot use ${dataDir} for the embedded database: ${reason} (set JM_DATA_DIR to a directory you can write, or DATABASE_URL to use a server)`,
    );
  };
  const missing: string[] = [];
  let existing = dataDir;
  for (; !existsSync(existing); existing = dirname(existing)) missing.unshift(existing);
  if (!statSync(existing).isDirectory()) fail(existing === dataDir ? 'it is a file' : `${existing} is a file`);
  try {
    for (const dir of missing) {
      try {
        mkdirSync(dir);
      } catch (error) {
        // Another process starting at the same time may have just created it.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) throw error;
      }
    }
    accessSync(dataDir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    fail(REASONS[code] ?? `cannot create it (${code || (error as Error).message})`);
  }
}
