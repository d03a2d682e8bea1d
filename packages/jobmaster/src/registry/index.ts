export type {
  ArithmeticStep,
  DependencyArgument,
  DependencyDefinition,
  JsonType,
  JsonValue,
  ParameterDefinition,
  TaskDefinition,
  TaskInvocationContext,
} from './task-definition.js';
export { task } from './task-decorator.js';
export { defineTask } from './define-task.js';
export type { ParamOptions, ParamType, TaskOptions } from './task-options.js';
export { Dependency, same, SameValue } from './dependency.js';
export type { DependencyArgumentValue, DependencyDeclaration, TaskReference } from './dependency.js';
export { JobContext, currentJob, currentJobOrNull, runWithJobContext } from './job-context.js';
export type { JobContextInit, JobLogger } from './job-context.js';
export { registry, getRegistry, TaskRegistry } from './task-registry.js';
export type { TaskKeys } from './task-registry.js';
