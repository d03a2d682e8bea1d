import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
