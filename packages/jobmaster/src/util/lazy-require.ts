import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS dependency loaded the first time it is used rather than when the package is
 * imported: `jm enqueue`, `jm status` and a worker's start never parse a task signature or a
 * cron expression, and loading acorn and cron-parser up front was part of every start-up.
 */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
