import { InvalidArgumentsError } from '../errors.js';
import type { ResolvedWorkflow } from './validate-workflows.js';

/** Formats `jm graph` prints a workflow in. */
export const GRAPH_FORMATS = ['mermaid', 'dot'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

/** Reads a graph format name; throws InvalidArgumentsError naming the choices. */
export function parseGraphFormat(text: string): GraphFormat {
  if (!(GRAPH_FORMATS as readonly string[]).includes(text)) {
    throw new InvalidArgumentsError(`--format must be ${GRAPH_FORMATS.join(' or ')}, got ${JSON.stringify(text.slice(0, 40))}`);
  }
  return text as GraphFormat;
}

/**
 * A workflow as a diagram: one node per step (its id and task), one edge from each required
 * step to the step requiring it. Mermaid renders in GitHub and most Markdown viewers; DOT is
 * Graphviz's (`jm graph etl --format dot | dot -Tsvg > etl.svg`).
 */
export function renderWorkflowGraph(workflow: ResolvedWorkflow, format: GraphFormat): string {
  const label = (id: string, task: string): string => `${id}\\n${task}`;
  if (format === 'mermaid') {
    const node = (id: string): string => `s_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
    const lines = [`%% workflow ${workflow.name}`, 'flowchart LR'];
    for (const s of workflow.steps) lines.push(`  ${node(s.id)}["${s.id}<br/>${s.typeKey}.${s.taskKey}"]`);
    for (const s of workflow.steps) for (const r of s.requires) lines.push(`  ${node(r)} --> ${node(s.id)}`);
    return lines.join('\n');
  }
  const quote = (text: string): string => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\\\\n/g, '\\n')}"`;
  const lines = [`digraph ${quote(workflow.name)} {`, '  rankdir=LR;', '  node [shape=box];'];
  for (const s of workflow.steps) lines.push(`  ${quote(s.id)} [label=${quote(label(s.id, `${s.typeKey}.${s.taskKey}`))}];`);
  for (const s of workflow.steps) for (const r of s.requires) lines.push(`  ${quote(r)} -> ${quote(s.id)};`);
  lines.push('}');
  return lines.join('\n');
}
