import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadTaskModules } from '../../packages/jobmaster/src/loader/index.js';

/** Directory of the task module fixtures. */
export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/tasks');

/** Loads fixture task modules afresh (tests clear the registry between cases). */
export function loadFixtures(...patterns: string[]): Promise<{ files: string[] }> {
  return loadTaskModules(patterns, { cwd: FIXTURES, reload: true });
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/**
 * Imports a fixture module through jiti (as the loader does) and returns its exports.
 * vitest's own transform emits no decorator metadata, so decorated fixtures never go through `import()`.
 */
export async function importFixture<T>(file: string): Promise<T> {
  // jiti is a dependency of the jobmaster package, not of the workspace root.
  const fromPackage = createRequire(path.resolve(FIXTURES, '../../../packages/jobmaster/package.json'));
  const { createJiti } = (await import(pathToFileURL(fromPackage.resolve('jiti')).href)) as JitiModule;
  return createJiti(import.meta.url, { moduleCache: false }).import<T>(path.resolve(FIXTURES, file));
}

interface JitiModule {
  createJiti(from: string, options: { moduleCache: boolean }): { import<T>(id: string): Promise<T> };
}
