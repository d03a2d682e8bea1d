import 'reflect-metadata';
import { TaskRegistrationError } from '../errors.js';
import { buildRegisteredTask } from './registered-task.js';
import { callerFile, moduleTypeKey } from './source-location.js';
import type { TaskOptions } from './task-options.js';
import { getRegistry } from './task-registry.js';

/**
 * Registers a static or instance method as a task (a legacy decorator: compile with
 * `experimentalDecorators` and `emitDecoratorMetadata`; `jm` loads task files with jiti,
 * which emits the metadata).
 *
 * Parameter names and literal defaults come from the method's source, JSON types from
 * `design:paramtypes` (string, number, boolean, array; anything else must be declared in
 * `options.params`), help texts and the description from the method's TSDoc comment.
 * A last parameter typed {@link JobContext} receives the running job. Instance methods
 * run on a new instance (constructed with no arguments) for every job.
 * Any doubt about the signature throws a TaskRegistrationError naming the task.
 *
 * @param options - See {@link TaskOptions}; `@task` without parentheses uses the defaults. (Default: {})
 *
 * @example
 * ```ts
 * // things1.ts: registers things1.foo, with number in {1, 2, 3} defaulting to 2
 * export class Things {
 *   @task({ params: { number: { type: 'integer', selectFrom: [1, 2, 3] } } })
 *   static foo(file_path: string, number = 2) {}
 * }
 * ```
 */
export function task(options?: TaskOptions): MethodDecorator;
/** `@task` without parentheses: registers with the default options. */
export function task(target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): void;
export function task(
  optionsOrTarget: TaskOptions | object = {},
  propertyKey?: string | symbol,
  descriptor?: PropertyDescriptor,
): MethodDecorator | void {
  if (descriptor !== undefined && propertyKey !== undefined) {
    return decorate({}, callerFile(), optionsOrTarget, propertyKey, descriptor);
  }
  const options = optionsOrTarget as TaskOptions;
  const sourceFile = callerFile();
  return (target, key, desc) => decorate(options, sourceFile, target, key, desc);
}

function decorate(
  options: TaskOptions,
  sourceFile: string | null,
  target: object,
  propertyKey: string | symbol,
  descriptor: PropertyDescriptor,
): void {
  const isStatic = typeof target === 'function';
  const owner = (isStatic ? target : target.constructor) as Function;
  const name = String(propertyKey);
  const fn: unknown = descriptor.value;
  if (typeof fn !== 'function' || typeof propertyKey === 'symbol') {
    throw new TaskRegistrationError(`${owner.name}.${name}`, '@task applies to methods with a name (use defineTask for functions)');
  }
  const paramTypes = Reflect.getMetadata('design:paramtypes', target, propertyKey) as unknown[] | undefined;
  const entry = buildRegisteredTask(
    {
      fn,
      name,
      typeKey: sourceFile === null ? null : moduleTypeKey(sourceFile),
      sourceFile,
      className: owner.name,
      paramTypes,
      plainFunction: false,
      receiver: isStatic ? () => owner : () => new (owner as new () => unknown)(),
    },
    options,
  );
  getRegistry().register(entry);
}
