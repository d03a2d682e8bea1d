import type { DependencyArgument } from '../registry/task-definition.js';
import type { TaskGraphDependency, TaskGraphTask } from './task-graph.js';

/** A freshness window as people write it: 30d, 6h, 1.5h, 2m. */
export function describeHours(hours: number): string {
  if (hours >= 24 && Number.isInteger(hours / 24)) return `${hours / 24}d`;
  if (hours >= 1) return `${+hours.toFixed(2)}h`;
  return `${Math.round(hours * 60)}m`;
}

/** One dependency argument: a literal (`"json"`), or `same`, `same - 1`, `same.of("day") + 1`. */
export function describeDependencyArgument(name: string, arg: DependencyArgument): string {
  if (arg.kind === 'value') return JSON.stringify(arg.value);
  const source = arg.parameter && arg.parameter !== name ? `same.of(${JSON.stringify(arg.parameter)})` : 'same';
  return [source, ...arg.ops.map((s) => `${s.op} ${s.operand}`)].join(' ');
}

/**
 * An edge's label: the freshness window, then the arguments that are not simply passed on
 * (`same`), e.g. `24h · format="json", year=same - 1`.
 */
export function describeDependency(dependency: TaskGraphDependency): string {
  const args = Object.entries(dependency.arguments)
    .filter(([name, arg]) => !(arg.kind === 'same' && arg.ops.length === 0 && (!arg.parameter || arg.parameter === name)))
    .map(([name, arg]) => `${name}=${describeDependencyArgument(name, arg)}`);
  return [describeHours(dependency.hours), ...(args.length ? [args.join(', ')] : [])].join(' · ');
}

/** A task's facts under its name: units, and the parameters it fans out over. */
export function describeTaskFacts(task: TaskGraphTask): string {
  const facts = [`${task.processUnits} unit${task.processUnits === 1 ? '' : 's'}`];
  if (task.writeAll.length) facts.push(`write-all: ${task.writeAll.join(', ')}`);
  return facts.join(' · ');
}
