import type { Command } from 'commander';
import type { TaskDefinition } from 'jobmaster';
import type { CliContext } from '../cli-context.js';
import { execute, withCommonOptions, type CommonOptions } from '../command-runner.js';
import { formatTable, type Output } from '../output.js';

/** `jm tasks`: the registry as loaded from the task modules. */
export async function tasksCommand(ctx: CliContext): Promise<TaskDefinition[]> {
  return await ctx.definitions();
}

/** The registry as plain JSON (no functions). */
export function tasksToJson(definitions: TaskDefinition[]): unknown[] {
  return definitions.map((d) => ({
    task: `${d.typeKey}.${d.taskKey}`,
    typeKey: d.typeKey,
    taskKey: d.taskKey,
    description: d.description,
    processUnits: d.processUnits,
    writeAll: d.writeAll,
    retries: d.retries,
    retryDelaySeconds: d.retryDelaySeconds,
    parameters: d.parameters,
    dependencies: d.dependencies,
    next: d.next ?? null,
    sourceFile: d.sourceFile,
  }));
}

function describeArgument(name: string, arg: TaskDefinition['dependencies'][number]['arguments'][string]): string {
  if (arg.kind === 'value') return JSON.stringify(arg.value);
  const source = arg.parameter && arg.parameter !== name ? `same.of(${JSON.stringify(arg.parameter)})` : 'same';
  return [source, ...arg.ops.map((s) => `${s.op} ${s.operand}`)].join(' ');
}

function describeHours(hours: number): string {
  if (hours >= 24 && Number.isInteger(hours / 24)) return `${hours / 24}d`;
  if (hours >= 1) return `${+hours.toFixed(2)}h`;
  return `${Math.round(hours * 60)}m`;
}

export function printTasks(out: Output, definitions: TaskDefinition[]): void {
  const c = out.color;
  if (definitions.length === 0) {
    out.write('No tasks registered.');
    return;
  }
  const blocks = definitions.map((d) => {
    const facts = [`${d.processUnits} process unit${d.processUnits === 1 ? '' : 's'}`, `${d.retries} retries`];
    if (d.writeAll.length) facts.push(`write-all: ${d.writeAll.join(', ')}`);
    const lines = [`${c.bold(`${d.typeKey}.${d.taskKey}`)}  ${c.dim(facts.join(', '))}`];
    if (d.description) lines.push(`  ${d.description}`);
    if (d.parameters.length) {
      const rows = d.parameters.map((p) => [
        p.name,
        p.type,
        p.required ? 'required' : JSON.stringify(p.default),
        p.selectFrom ? `one of ${p.selectFrom.map((v) => JSON.stringify(v)).join(', ')}` : '',
        p.help ?? '',
      ]);
      const table = formatTable(['parameter', 'type', 'default', 'values', 'help'], rows, (column, cell) =>
        column === 1 ? c.cyan(cell) : column === 2 && cell === 'required' ? c.yellow(cell) : column === 4 ? c.dim(cell) : cell,
      );
      lines.push(...table.split('\n').map((line, i) => `  ${i === 0 ? c.dim(line) : line}`));
    }
    for (const dep of d.dependencies) {
      const args = Object.entries(dep.arguments)
        .map(([k, v]) => `${k}=${describeArgument(k, v)}`)
        .join(', ');
      lines.push(`  ${c.magenta('needs')} ${dep.typeKey}.${dep.taskKey}(${args}) completed within ${describeHours(dep.hours)}`);
    }
    if (d.next) lines.push(`  ${c.magenta('then')} ${d.next.typeKey}.${d.next.taskKey}, with the result as its arguments`);
    return lines.join('\n');
  });
  out.write(blocks.join('\n\n'));
}

export function registerTasksCommand(program: Command, out: Output): void {
  withCommonOptions(program.command('tasks').description('list the registered tasks with their parameters and dependencies')).action(
    async (options: CommonOptions) => {
      await execute(
        options,
        out,
        async (ctx) => tasksToJson(await tasksCommand(ctx)),
        (o, v) => printTasks(o, v as never),
      );
    },
  );
}
