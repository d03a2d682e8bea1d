import { SameValue, type DependencyDeclaration, type TaskReference } from './dependency.js';
import { isJsonValue, isOfType, jsonEquals } from './json-values.js';
import type { RegisteredTask } from './registered-task.js';
import type { DependencyArgument, DependencyDefinition, JsonType, ParameterDefinition } from './task-definition.js';

/** Looks tasks up for resolution. */
export interface TaskLookup {
  byKeys(typeKey: string, taskKey: string): RegisteredTask | undefined;
  byFunction(fn: Function): RegisteredTask | undefined;
}

/** Result of resolving one task's dependencies: what resolved, and what is wrong. */
export interface ResolvedDependencies {
  dependencies: DependencyDefinition[];
  problems: string[];
}

/**
 * Turns a task's declared dependencies into DependencyDefinitions, checking every
 * reference and argument against the dependency's and the dependent's signatures.
 * Problems are collected (not thrown) so one deploy reports all of them.
 */
export function resolveDependencies(task: RegisteredTask, tasks: TaskLookup): ResolvedDependencies {
  const label = `${task.typeKey}.${task.taskKey}`;
  const dependencies: DependencyDefinition[] = [];
  const problems: string[] = [];
  task.declaredDependencies.forEach((declaration, index) => {
    const target = resolveReference(declaration.task, task, tasks);
    if (typeof target === 'string') {
      problems.push(`${label}: dependency ${index + 1} ${target}`);
      return;
    }
    const where = `${label}: dependency on ${target.typeKey}.${target.taskKey}`;
    const args = resolveArguments(declaration, task, target, (problem) => problems.push(`${where}: ${problem}`));
    dependencies.push({ typeKey: target.typeKey, taskKey: target.taskKey, hours: declaration.hours, arguments: args });
  });
  return { dependencies, problems };
}

/** The task a reference names (relative to the task declaring it), or a string saying why there is none. */
export function resolveReference(
  reference: TaskReference,
  dependent: RegisteredTask,
  tasks: TaskLookup,
  depth = 0,
): RegisteredTask | string {
  if (typeof reference === 'string') {
    const dot = reference.indexOf('.');
    const typeKey = dot < 0 ? dependent.typeKey : reference.slice(0, dot);
    const taskKey = dot < 0 ? reference : reference.slice(dot + 1);
    return tasks.byKeys(typeKey, taskKey) ?? `names unknown task ${typeKey}.${taskKey}`;
  }
  const registered = tasks.byFunction(reference);
  if (registered !== undefined) return registered;
  if (depth === 0 && isThunk(reference)) {
    const result = (reference as () => unknown)();
    if (typeof result === 'string' || typeof result === 'function') return resolveReference(result as TaskReference, dependent, tasks, 1);
    return `is a thunk returning ${typeof result}, not a task`;
  }
  const name = reference.name ? `function ${reference.name}` : 'a function';
  return `names ${name}, which is not a registered task (decorate it with @task or wrap it in defineTask, and load its module)`;
}

/** Zero-argument arrow functions: `() => Reports.build`. */
function isThunk(fn: Function): boolean {
  return fn.length === 0 && /^(?:async\s*)?\(\s*\)\s*=>/.test(Function.prototype.toString.call(fn));
}

function resolveArguments(
  declaration: DependencyDeclaration,
  dependent: RegisteredTask,
  target: RegisteredTask,
  problem: (text: string) => void,
): Record<string, DependencyArgument> {
  const result: Record<string, DependencyArgument> = {};
  // A missing dependency job is inserted with exactly these arguments, so they must be complete.
  const missing = target.parameters.filter((p) => p.required && !(p.name in declaration.args)).map((p) => `"${p.name}"`);
  if (missing.length > 0) {
    problem(
      `gives no value for required ${missing.length === 1 ? 'parameter' : 'parameters'} ${missing.join(', ')}, so the dependency job could never be inserted`,
    );
  }
  for (const [name, value] of Object.entries(declaration.args)) {
    const param = target.parameters.find((p) => p.name === name);
    if (param === undefined) {
      problem(`argument "${name}" is not a parameter of ${target.typeKey}.${target.taskKey}`);
      continue;
    }
    if (SameValue.isSameValue(value)) {
      const sourceName = value.parameter ?? name;
      const source = dependent.parameters.find((p) => p.name === sourceName);
      if (source === undefined) {
        problem(
          `argument "${name}" uses same${value.parameter ? `.of("${sourceName}")` : ''}, but ${dependent.typeKey}.${dependent.taskKey} has no parameter "${sourceName}"`,
        );
        continue;
      }
      const type = sameResultType(value, source, problem);
      if (type !== null && !assignable(type, param.type)) {
        problem(`argument "${name}" takes "${sourceName}" (${type}) from the dependent, but "${name}" is ${param.type}`);
        continue;
      }
      result[name] = { kind: 'same', parameter: sourceName, ops: value.ops.map((step) => ({ ...step })) };
      continue;
    }
    if (!isJsonValue(value)) {
      problem(`argument "${name}" must be a JSON value or same`);
    } else if (!isOfType(value, param.type)) {
      problem(`argument "${name}" is ${JSON.stringify(value)}, which is not of type ${param.type}`);
    } else if (param.selectFrom !== null && !param.selectFrom.some((v) => jsonEquals(v, value))) {
      problem(
        `argument "${name}" is ${JSON.stringify(value)}, which is not one of its select-from values ${JSON.stringify(param.selectFrom)}`,
      );
    } else {
      result[name] = { kind: 'value', value };
    }
  }
  return result;
}

/** JSON type of a `same` value after its arithmetic, or null after reporting a problem. */
function sameResultType(value: SameValue, source: ParameterDefinition, problem: (text: string) => void): JsonType | null {
  if (value.ops.length === 0) return source.type;
  if (source.type !== 'integer' && source.type !== 'number') {
    problem(`arithmetic on "${source.name}", which is ${source.type}, not a number`);
    return null;
  }
  const staysInteger = source.type === 'integer' && value.ops.every((s) => s.op !== '/' && Number.isInteger(s.operand));
  return staysInteger ? 'integer' : 'number';
}

function assignable(from: JsonType, to: JsonType): boolean {
  return from === to || (from === 'integer' && to === 'number');
}
