import { realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { TaskLoadError, TaskRegistrationError } from '../errors.js';
import { lazyRequire } from '../util/lazy-require.js';

/** Options of {@link loadTaskModules}. */
export interface LoadTaskModulesOptions {
  /** Directory the patterns are relative to. */
  cwd: string;
  /**
   * Evaluate every file again even if this process loaded it before (tests, watch
   * mode); re-registering from the same file replaces its tasks. (Default: false)
   */
  reload?: boolean;
  /**
   * A module task modules get instead of the one they would load: where `specifier` resolves
   * from every task module's directory to the file `replaces`, they get `module` (the `jm`
   * bundle passes its own copy of jobmaster, already loaded). (Default: none)
   */
  substitute?: { specifier: string; replaces: string; module: string };
}

/** Result of {@link loadTaskModules}. */
export interface LoadedTaskModules {
  /** Absolute paths of the files loaded, in load order (sorted). */
  files: string[];
}

const MODULE_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
const IGNORED = ['**/node_modules/**', '**/*.d.ts', '**/*.d.mts', '**/*.d.cts'];
/** What IGNORED leaves out, as a test of one path. */
const IGNORED_PATH = /(^|[\\/])node_modules[\\/]|\.d\.[cm]?ts$/;

// Loaded with the first call, not with the package: only commands that load task modules pay
// for them. Through require: importing their CommonJS builds (jiti's core, tinyglobby's
// picomatch) as ES modules first scans each file for its export names.
const jitiModule = lazyRequire<typeof import('jiti')>('jiti');
const tinyglobby = lazyRequire<typeof import('tinyglobby')>('tinyglobby');

/**
 * Imports every task module matching `patterns` (globs, relative to `cwd`), in sorted
 * path order, so their `@task` decorators and `defineTask` calls fill the registry.
 * Files are loaded through jiti, which compiles TypeScript with decorator metadata, so
 * `.ts` task files need no build step.
 *
 * Throws TaskLoadError when nothing matches or a module throws while loading (the
 * original error as `cause`); a TaskRegistrationError from a module is rethrown as is.
 */
/** The longest task module pattern accepted (what the glob library takes is 65,536). */
const MAX_PATTERN_LENGTH = 4096;

export async function loadTaskModules(patterns: string[], options: LoadTaskModulesOptions): Promise<LoadedTaskModules> {
  const cwd = path.resolve(options.cwd);
  for (const pattern of patterns) {
    // The glob library refuses longer patterns with a SyntaxError; say which pattern instead.
    if (pattern.length > MAX_PATTERN_LENGTH) {
      throw new TaskLoadError(
        `The task module pattern ${JSON.stringify(pattern.slice(0, 40))}... is ${pattern.length} characters long: at most ${MAX_PATTERN_LENGTH}`,
      );
    }
  }
  const { createJiti } = jitiModule();
  const matched = await matchFiles(patterns, cwd);
  const files = [...new Set(matched.map((f) => path.normalize(f)))].filter((f) => MODULE_EXTENSIONS.has(path.extname(f))).sort();
  if (files.length === 0) {
    throw new TaskLoadError(`No task modules match ${patterns.map((p) => JSON.stringify(p)).join(', ')} in ${cwd}`);
  }
  const jiti = createJiti(import.meta.url, {
    moduleCache: !options.reload,
    interopDefault: true,
    ...(options.substitute &&
      substitutes(options.substitute, files) && { alias: { [options.substitute.specifier]: options.substitute.module } }),
  });
  for (const file of files) {
    try {
      await jiti.import(file);
    } catch (error) {
      if (error instanceof TaskRegistrationError || isNamedError(error, 'TaskRegistrationError')) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new TaskLoadError(`Could not load task module ${path.relative(cwd, file) || file}: ${message}${hint(message)}`, {
        cause: error,
      });
    }
  }
  return { files };
}

/** Characters that make a pattern a glob rather than a path. */
const GLOB_SYNTAX = /[*?[\]{}()!+@\\]/;

/**
 * The files the patterns match. Paths of existing files (a cron line's `--tasks dist/tasks.js`)
 * are taken as they are, as the glob library would match them: loading it and its matcher is
 * about 20 ms of a short command. Globs, directories (which the library expands) and missing
 * paths go to the library.
 */
async function matchFiles(patterns: string[], cwd: string): Promise<string[]> {
  const files = patterns.map((pattern) => path.resolve(cwd, pattern));
  const plainFiles =
    !patterns.some((pattern) => GLOB_SYNTAX.test(pattern)) && files.every((file) => statSync(file, { throwIfNoEntry: false })?.isFile());
  if (plainFiles) return files.filter((file) => !IGNORED_PATH.test(file));
  return await tinyglobby().glob(patterns, { cwd, absolute: true, onlyFiles: true, ignore: IGNORED });
}

/** True when `specifier` resolves to the file `replaces` from the directory of every file. */
function substitutes(substitute: { specifier: string; replaces: string }, files: string[]): boolean {
  try {
    const replaced = realpathSync(substitute.replaces);
    for (const dir of new Set(files.map((file) => path.dirname(file)))) {
      if (realpathSync(createRequire(path.join(dir, 'task-module.js')).resolve(substitute.specifier)) !== replaced) return false;
    }
    return true;
  } catch {
    return false; // Not resolvable from some file: each loads what it finds, as without a substitute.
  }
}

function hint(message: string): string {
  // Decorator arguments are evaluated before the class exists: `Dependency(Tasks.foo)` inside class Tasks.
  return /^Cannot access '[\w$]+' before initialization/.test(message)
    ? ' (to depend on a task of the class being declared, pass a thunk: Dependency(() => Tasks.foo))'
    : '';
}

// A module may hold its own copy of jobmaster (loaded through jiti), whose error classes differ from ours.
function isNamedError(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name && (error as { code?: unknown }).code === 'JM_TASK_REGISTRATION';
}
