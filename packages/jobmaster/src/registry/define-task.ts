import { buildRegisteredTask } from './registered-task.js';
import { callerFile, moduleTypeKey } from './source-location.js';
import type { TaskOptions } from './task-options.js';
import { getRegistry } from './task-registry.js';

/**
 * Registers a plain function as a task (decorators cannot decorate functions) and
 * returns it unchanged, so it can be exported, called and named in dependencies.
 * Plain functions carry no type metadata: `options.params` must declare the type of
 * every parameter (names must match the function's exactly). The task key defaults to
 * the function's name, so pass a named function or set `taskKey`.
 *
 * @param options - See {@link TaskOptions}; `params` is required unless the function takes no parameters.
 * @param fn - The task's function.
 *
 * @example
 * ```ts
 * export const resize = defineTask(
 *   { params: { path: { type: 'string' }, width: { type: 'integer', selectFrom: [320, 640] } } },
 *   async function resize(path: string, width = 320) {},
 * );
 * ```
 */
export function defineTask<F extends (...args: never[]) => unknown>(options: TaskOptions, fn: F): F {
  const sourceFile = callerFile();
  const entry = buildRegisteredTask(
    {
      fn,
      name: fn.name,
      typeKey: sourceFile === null ? null : moduleTypeKey(sourceFile),
      sourceFile,
      paramTypes: undefined,
      plainFunction: true,
      receiver: () => undefined,
    },
    options,
  );
  getRegistry().register(entry);
  return fn;
}
