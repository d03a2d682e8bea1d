import { RegistryError, TaskRegistrationError } from '../errors.js';
import type { RegisteredTask } from './registered-task.js';
import { resolveDependencies, resolveReference } from './resolve-dependencies.js';
import type { TaskDefinition } from './task-definition.js';

/** A task's identity. */
export interface TaskKeys {
  typeKey: string;
  taskKey: string;
}

/**
 * Every task registered in this process. One instance per process, shared through
 * `globalThis` so that task modules loaded through jiti (which may hold their own copy
 * of jobmaster) and the CLI register into and read from the same place.
 */
export class TaskRegistry {
  private readonly tasks = new Map<string, RegisteredTask>();
  private functions = new WeakMap<Function, TaskKeys>();
  private validated: TaskDefinition[] | null = null;

  /**
   * Adds a task. A second task with the same keys from another file is an error naming
   * both files; from the same file (a module evaluated twice) it replaces the first.
   */
  register(task: RegisteredTask): void {
    const key = mapKey(task.typeKey, task.taskKey);
    const existing = this.tasks.get(key);
    if (existing !== undefined && !(existing.sourceFile !== null && existing.sourceFile === task.sourceFile)) {
      const files = [existing.sourceFile, task.sourceFile].map((f) => f ?? 'an unknown file');
      throw new TaskRegistrationError(
        `${task.typeKey}.${task.taskKey}`,
        `is declared twice, in ${files[0]} and in ${files[1]}: set a different typeKey or taskKey on one of them`,
      );
    }
    this.tasks.set(key, task);
    this.functions.set(task.fn, { typeKey: task.typeKey, taskKey: task.taskKey });
    this.validated = null;
  }

  /**
   * Resolves and validates the whole registry and returns every task, sorted by type
   * key then task key. Throws RegistryError listing every problem: dependencies on
   * unknown tasks, dependency cycles, `same` naming a parameter the dependent lacks,
   * arguments the dependency lacks or values of the wrong type or outside select-from,
   * arithmetic on non-numeric parameters. The returned objects must not be mutated.
   */
  definitions(): TaskDefinition[] {
    this.validated ??= this.validate();
    return [...this.validated];
  }

  /** The validated task with these keys, or undefined. Throws RegistryError like {@link definitions}. */
  get(typeKey: string, taskKey: string): TaskDefinition | undefined {
    return this.definitions().find((t) => t.typeKey === typeKey && t.taskKey === taskKey);
  }

  /** The keys of the task registered for a decorated method or `defineTask` function, or undefined. */
  keysOf(fn: Function): TaskKeys | undefined {
    const keys = this.functions.get(fn);
    return keys !== undefined && this.tasks.has(mapKey(keys.typeKey, keys.taskKey)) ? { ...keys } : undefined;
  }

  /**
   * The validated task registered for a decorated method or `defineTask` function.
   * Throws RegistryError when `fn` is not a registered task (or the registry is invalid).
   */
  definitionOf(fn: Function): TaskDefinition {
    const keys = this.functions.get(fn);
    const definition = keys && this.get(keys.typeKey, keys.taskKey);
    if (definition === undefined) {
      throw new RegistryError(
        `${fn.name ? `Function ${fn.name}` : 'This function'} is not a registered task: decorate it with @task or wrap it in defineTask, and load its module`,
      );
    }
    return definition;
  }

  /** Number of registered tasks. */
  get size(): number {
    return this.tasks.size;
  }

  /** Forgets every task (for tests). */
  clear(): void {
    this.tasks.clear();
    this.functions = new WeakMap();
    this.validated = null;
  }

  private validate(): TaskDefinition[] {
    const lookup = {
      byKeys: (typeKey: string, taskKey: string) => this.tasks.get(mapKey(typeKey, taskKey)),
      byFunction: (fn: Function) => {
        const keys = this.functions.get(fn);
        return keys === undefined ? undefined : this.tasks.get(mapKey(keys.typeKey, keys.taskKey));
      },
    };
    const problems: string[] = [];
    const sorted = [...this.tasks.values()].sort((a, b) => compare(a.typeKey, b.typeKey) || compare(a.taskKey, b.taskKey));
    const definitions = sorted.map((task): TaskDefinition => {
      const resolved = resolveDependencies(task, lookup);
      problems.push(...resolved.problems);
      const { declaredDependencies: _declared, declaredNext, fn: _fn, ...rest } = task;
      let next: TaskDefinition['next'] = null;
      if (declaredNext !== null) {
        const target = resolveReference(declaredNext, task, lookup);
        if (typeof target === 'string') problems.push(`${task.typeKey}.${task.taskKey}: next ${target}`);
        else next = { typeKey: target.typeKey, taskKey: target.taskKey };
      }
      return { ...rest, dependencies: resolved.dependencies, next };
    });
    problems.push(...findCycles(definitions), ...findNextCycles(definitions));
    if (problems.length > 0) {
      // One line, as every user-facing error: the problems joined.
      const heading = problems.length === 1 ? 'The task registry is invalid' : `The task registry has ${problems.length} problems`;
      throw new RegistryError(`${heading}: ${problems.join('; ')}`);
    }
    return definitions;
  }
}

/**
 * One message per cycle of next tasks, e.g. "Next-task cycle: a.x → a.y → a.x": each job of
 * such a chain would enqueue the next one forever.
 */
function findNextCycles(definitions: TaskDefinition[]): string[] {
  const byKey = new Map(definitions.map((d) => [mapKey(d.typeKey, d.taskKey), d]));
  const reported = new Set<string>();
  const cycles: string[] = [];
  for (const start of byKey.keys()) {
    const path: string[] = [];
    let key: string | undefined = start;
    while (key !== undefined && !path.includes(key)) {
      path.push(key);
      const next: TaskDefinition['next'] = byKey.get(key)?.next;
      key = next ? mapKey(next.typeKey, next.taskKey) : undefined;
    }
    if (key === undefined) continue;
    const cycle = path.slice(path.indexOf(key));
    const id = [...cycle].sort().join(' ');
    if (reported.has(id)) continue;
    reported.add(id);
    cycles.push(`Next-task cycle: ${[...cycle, key].join(' → ')} (each job would enqueue the next forever)`);
  }
  return cycles;
}

/** One message per dependency cycle, e.g. "Dependency cycle: a.x → b.y → a.x". */
function findCycles(definitions: TaskDefinition[]): string[] {
  const byKey = new Map(definitions.map((d) => [mapKey(d.typeKey, d.taskKey), d]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (key: string): void => {
    state.set(key, 'visiting');
    stack.push(key);
    for (const dep of byKey.get(key)?.dependencies ?? []) {
      const next = mapKey(dep.typeKey, dep.taskKey);
      if (state.get(next) === 'visiting') {
        cycles.push(`Dependency cycle: ${[...stack.slice(stack.indexOf(next)), next].join(' → ')}`);
      } else if (!state.has(next) && byKey.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(key, 'done');
  };
  for (const key of byKey.keys()) if (!state.has(key)) visit(key);
  return cycles;
}

function mapKey(typeKey: string, taskKey: string): string {
  return `${typeKey}.${taskKey}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const REGISTRY_KEY = Symbol.for('jobmaster.registry');

/** The process-wide task registry (created on first use). */
export function getRegistry(): TaskRegistry {
  const holder = globalThis as unknown as Record<symbol, TaskRegistry | undefined>;
  return (holder[REGISTRY_KEY] ??= new TaskRegistry());
}

/**
 * The process-wide task registry: `registry.definitions()` to validate and list every
 * task, `registry.get(typeKey, taskKey)`, `registry.keysOf(fn)`, `registry.clear()`.
 */
export const registry: TaskRegistry = getRegistry();
