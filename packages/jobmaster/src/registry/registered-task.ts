import { InvalidArgumentsError, TaskRegistrationError } from '../errors.js';
import { resolveScheduleDeclaration } from '../schedule/schedule-definition.js';
import { isDependencyDeclaration, type DependencyDeclaration, type TaskReference } from './dependency.js';
import { JobContext, runWithJobContext, type JobContextInit } from './job-context.js';
import type { JsonValue, ParameterDefinition, TaskDefinition } from './task-definition.js';
import { KEY_PATTERN, TASK_DEFAULTS, TYPE_KEY_PATTERN, type TaskOptions } from './task-options.js';
import { readSignature } from './task-signature.js';
import { readTaskDoc } from './tsdoc.js';

/** A task as registered, before the registry resolves its dependencies. */
export interface RegisteredTask extends Omit<TaskDefinition, 'dependencies' | 'next'> {
  /** Dependencies as declared; resolved by the registry at validation. */
  declaredDependencies: DependencyDeclaration[];
  /** The next task as declared (the `next` option); resolved by the registry at validation. */
  declaredNext: TaskReference | null;
  /** The function registered, by which other tasks reference this one. */
  fn: Function;
}

/** Where and how a task was declared. */
export interface TaskSource {
  fn: Function;
  /** Name used for the default task key and for finding TSDoc. */
  name: string;
  typeKey: string | null;
  sourceFile: string | null;
  /** The class declaring a method, for TSDoc lookup. */
  className?: string;
  /** `design:paramtypes`; undefined when not emitted. */
  paramTypes: readonly unknown[] | undefined;
  plainFunction: boolean;
  /** The `this` for a call (a fresh instance for instance methods). */
  receiver: () => unknown;
}

/** Validates options and signature and builds the registry entry; throws TaskRegistrationError. */
export function buildRegisteredTask(source: TaskSource, options: TaskOptions): RegisteredTask {
  const typeKey = options.typeKey ?? source.typeKey;
  const taskKey = options.taskKey ?? source.name;
  const label = `${typeKey ?? '?'}.${taskKey || '?'}`;
  const fail = (problem: string): never => {
    throw new TaskRegistrationError(label, problem);
  };
  if (typeKey === null) fail('its type key cannot be derived from the module file name: set typeKey');
  if (!TYPE_KEY_PATTERN.test(typeKey!)) fail(`type key "${typeKey}" must match ${String(TYPE_KEY_PATTERN)}`);
  if (taskKey === '') fail('the function has no name: set taskKey');
  if (!KEY_PATTERN.test(taskKey)) fail(`task key "${taskKey}" must match ${String(KEY_PATTERN)}`);
  const processUnits = options.processUnits ?? TASK_DEFAULTS.processUnits;
  if (!Number.isSafeInteger(processUnits) || processUnits < 0)
    fail(`processUnits must be a non-negative integer, got ${String(processUnits)}`);
  const retries = options.retries ?? TASK_DEFAULTS.retries;
  if (!Number.isSafeInteger(retries) || retries < 0) fail(`retries must be a non-negative integer, got ${String(retries)}`);
  const retryDelaySeconds = options.retryDelaySeconds ?? TASK_DEFAULTS.retryDelaySeconds;
  if (typeof retryDelaySeconds !== 'number' || !Number.isFinite(retryDelaySeconds) || retryDelaySeconds < 0) {
    fail(`retryDelaySeconds must be a non-negative number, got ${String(retryDelaySeconds)}`);
  }
  if (options.onFailure !== undefined && typeof options.onFailure !== 'function') {
    fail(`onFailure must be a function, got ${typeof options.onFailure}`);
  }

  const doc = readTaskDoc(source.sourceFile, source.name, source.className);
  const signature = readSignature({
    label,
    fn: source.fn,
    paramTypes: source.paramTypes,
    plainFunction: source.plainFunction,
    params: options.params ?? {},
    docHelp: doc.params,
    sourceFile: source.sourceFile,
  });
  const writeAll = [...(options.writeAll ?? [])];
  for (const name of writeAll) {
    const param = signature.parameters.find((p) => p.name === name);
    if (param === undefined) fail(`write-all parameter "${name}" is not a parameter`);
    if (param!.selectFrom === null)
      fail(`write-all parameter "${name}" has no select-from values (declare params: { ${name}: { selectFrom: [...] } })`);
  }
  const dependencies =
    options.dependencies === undefined ? [] : Array.isArray(options.dependencies) ? [...options.dependencies] : [options.dependencies];
  for (const dependency of dependencies) {
    if (!isDependencyDeclaration(dependency)) fail('dependencies must be made with Dependency(task, hours, args)');
  }
  if (options.next !== undefined && typeof options.next !== 'string' && typeof options.next !== 'function') {
    fail(`next must name a task (a task function, () => Other.task, or "typeKey.taskKey"), got ${typeof options.next}`);
  }

  const { parameters, contextPosition, arity } = signature;
  let schedules: RegisteredTask['schedules'] = [];
  try {
    schedules = resolveScheduleDeclaration(
      label,
      options.schedule,
      parameters.map((p) => p.name),
    );
  } catch (error) {
    fail(`invalid schedule: ${(error as Error).message}`);
  }
  const entry: RegisteredTask = {
    typeKey: typeKey!,
    taskKey,
    processUnits,
    writeAll,
    parameters,
    retries,
    retryDelaySeconds,
    description: options.description ?? doc.description,
    sourceFile: source.sourceFile,
    schedules,
    ...(options.onFailure && { onFailure: options.onFailure }),
    declaredDependencies: dependencies as DependencyDeclaration[],
    declaredNext: options.next ?? null,
    fn: source.fn,
    invoke(args: Record<string, JsonValue>, context: unknown): unknown {
      const positional = toPositional(entry, parameters, arity, args);
      const job = toJobContext(context, entry, args);
      if (contextPosition !== null) positional[contextPosition] = job;
      return runWithJobContext(job, () => source.fn.apply(source.receiver(), positional));
    },
  };
  return entry;
}

function toPositional(task: RegisteredTask, parameters: ParameterDefinition[], arity: number, args: Record<string, JsonValue>): unknown[] {
  const label = `${task.typeKey}.${task.taskKey}`;
  const positional: unknown[] = new Array(arity).fill(undefined);
  for (const name of Object.keys(args)) {
    if (!parameters.some((p) => p.name === name)) {
      throw new InvalidArgumentsError(`Task ${label}: unknown parameter "${name}"`, { task: label, parameter: name, value: args[name] });
    }
  }
  for (const param of parameters) {
    if (Object.hasOwn(args, param.name)) positional[param.position] = args[param.name];
    else if (!param.required) positional[param.position] = structuredClone(param.default);
    else
      throw new InvalidArgumentsError(`Task ${label}: required parameter "${param.name}" is missing`, {
        task: label,
        parameter: param.name,
      });
  }
  return positional;
}

/** Accepts a JobContext, the fields of one, or nothing (a local call outside any job). */
function toJobContext(context: unknown, task: RegisteredTask, args: Record<string, JsonValue>): JobContext {
  if (JobContext.isJobContext(context)) return context;
  const init: Partial<JobContextInit> = typeof context === 'object' && context !== null ? (context as Partial<JobContextInit>) : {};
  return new JobContext({
    ...init,
    jobId: init.jobId ?? 'local',
    typeKey: task.typeKey,
    taskKey: task.taskKey,
    arguments: init.arguments ?? args,
  });
}
