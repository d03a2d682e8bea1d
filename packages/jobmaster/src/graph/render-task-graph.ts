import { InvalidArgumentsError } from '../errors.js';
import { describeDependency, describeTaskFacts } from './dependency-label.js';
import type { TaskGraph } from './task-graph.js';

/** Formats `jm graph` prints in. */
export const GRAPH_FORMATS = ['mermaid', 'dot', 'json'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

/** Reads a graph format name; throws InvalidArgumentsError naming the choices. */
export function parseGraphFormat(text: string): GraphFormat {
  if (!(GRAPH_FORMATS as readonly string[]).includes(text)) {
    throw new InvalidArgumentsError(`--format must be mermaid, dot or json, got ${JSON.stringify(text.slice(0, 40))}`);
  }
  return text as GraphFormat;
}

/** A node of the drawing: an id safe in both languages, and the lines of its label. */
interface DrawnNode {
  key: string;
  lines: string[];
  focus?: boolean;
}
interface DrawnEdge {
  from: string;
  to: string;
  label?: string;
  /** A next-task chain (dotted), not a dependency. */
  chain?: boolean;
}
interface Cluster {
  key: string;
  title: string;
  nodes: DrawnNode[];
  edges: DrawnEdge[];
}

/** The label of a next-task chain's edge. */
export const NEXT_LABEL = 'next: result → arguments';

/**
 * The drawing both text formats share: a "Tasks" cluster (edges dependency → dependent,
 * labelled with the freshness window and fixed arguments; dotted edges task → its next task)
 * and one cluster per workflow
 * (edges required step → step). Node ids are positional (t3, w0_2), so no task or step
 * name has to fit an identifier's rules.
 */
function clusters(graph: TaskGraph): Cluster[] {
  const out: Cluster[] = [];
  if (graph.tasks.length) {
    const key = new Map(graph.tasks.map((t, i) => [t.task, `t${i}`]));
    out.push({
      key: 'tasks',
      title: graph.focus ? `Tasks around ${graph.focus}` : 'Tasks',
      nodes: graph.tasks.map((t) => ({ key: key.get(t.task)!, lines: [t.task, describeTaskFacts(t)], focus: t.task === graph.focus })),
      edges: [
        ...graph.dependencies
          .filter((d) => key.has(d.from) && key.has(d.to))
          .map((d) => ({ from: key.get(d.from)!, to: key.get(d.to)!, label: describeDependency(d) })),
        ...graph.chains
          .filter((c) => key.has(c.from) && key.has(c.to))
          .map((c) => ({ from: key.get(c.from)!, to: key.get(c.to)!, label: NEXT_LABEL, chain: true })),
      ],
    });
  }
  graph.workflows.forEach((w, wi) => {
    const key = new Map(w.steps.map((s, si) => [s.id, `w${wi}_${si}`]));
    out.push({
      key: `wf${wi}`,
      title: `workflow ${w.name}${w.schedule ? ` (${w.schedule})` : ''}`,
      nodes: w.steps.map((s) => ({ key: key.get(s.id)!, lines: [s.id, s.task], focus: s.task === graph.focus })),
      edges: w.steps.flatMap((s) => s.requires.filter((r) => key.has(r)).map((r) => ({ from: key.get(r)!, to: key.get(s.id)! }))),
    });
  });
  return out;
}

/** Text inside a Mermaid "..." label: entity codes for what Mermaid would read as syntax or HTML. */
function mermaidText(text: string): string {
  return text.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function renderMermaid(graph: TaskGraph): string {
  const lines = [
    `%% JobMaster ${graph.focus ? `graph around ${graph.focus}` : 'task graph'} (${graph.source}): ${count(graph.tasks.length, 'task')}, ${count(graph.dependencies.length, 'dependency', 'dependencies')}, ${count(graph.chains.length, 'chain')}, ${count(graph.workflows.length, 'workflow')}`,
    'flowchart LR',
  ];
  const focused: string[] = [];
  for (const c of clusters(graph)) {
    lines.push(`  subgraph ${c.key}["${mermaidText(c.title)}"]`, '    direction LR');
    for (const n of c.nodes) {
      lines.push(`    ${n.key}["${n.lines.map(mermaidText).join('<br/>')}"]`);
      if (n.focus) focused.push(n.key);
    }
    lines.push('  end');
    for (const e of c.edges) lines.push(`  ${e.from} ${e.chain ? '-.->' : '-->'}${e.label ? `|"${mermaidText(e.label)}"|` : ''} ${e.to}`);
  }
  if (focused.length) lines.push('  classDef focus stroke-width:3px', `  class ${focused.join(',')} focus`);
  return lines.join('\n');
}

/** A DOT double-quoted string: backslashes and quotes escaped, lines joined by \n. */
function dotText(lines: string[]): string {
  return `"${lines
    .map((l) =>
      l
        .replace(/\\/g, '\\\\')
        .replace(/"/g, '\\"')
        .replace(/[\r\n]+/g, ' '),
    )
    .join('\\n')}"`;
}

function renderDot(graph: TaskGraph): string {
  const lines = [
    `// JobMaster ${graph.focus ? `graph around ${graph.focus}` : 'task graph'} (${graph.source}); render with: dot -Tsvg`,
    'digraph jobmaster {',
    '  rankdir=LR;',
    '  node [shape=box, style=rounded];',
  ];
  for (const c of clusters(graph)) {
    lines.push(`  subgraph cluster_${c.key} {`, `    label=${dotText([c.title])};`);
    for (const n of c.nodes) lines.push(`    ${n.key} [label=${dotText(n.lines)}${n.focus ? ', penwidth=3' : ''}];`);
    lines.push('  }');
    for (const e of c.edges) {
      const attributes = [...(e.label ? [`label=${dotText([e.label])}`] : []), ...(e.chain ? ['style=dashed'] : [])];
      lines.push(`  ${e.from} -> ${e.to}${attributes.length ? ` [${attributes.join(', ')}]` : ''};`);
    }
  }
  lines.push('}');
  return lines.join('\n');
}

/**
 * The graph as text: Mermaid (renders in GitHub and most Markdown viewers), Graphviz DOT
 * (`jm graph --format dot | dot -Tsvg > graph.svg`) or JSON (the TaskGraph itself).
 */
export function renderTaskGraph(graph: TaskGraph, format: GraphFormat): string {
  if (format === 'json') return JSON.stringify(graph, null, 2);
  return format === 'mermaid' ? renderMermaid(graph) : renderDot(graph);
}
