// `jm graph`: the registry's task dependency graph and the workflows as Mermaid, DOT or JSON,
// around one task with --task, from the code or (--deployed) from the database.
import { expect, test } from 'vitest';
import type { TaskGraph } from 'jobmaster';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('graph');

async function graph(args: string[]): Promise<string> {
  const result = await runJm(['graph', ...args]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

async function jsonGraph(args: string[]): Promise<TaskGraph> {
  return JSON.parse(await graph([...args, '--format', 'json'])) as TaskGraph;
}

/** Mermaid node id by the first line of its label. */
function mermaidIds(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^\s+(\w+)\["([^"<]+)/gm)].map((m) => [m[2]!, m[1]!]));
}

test('Mermaid: a node per task with its units and write-all, an edge per dependency with its freshness window, and the workflows', async () => {
  const text = await graph([]);
  expect(text).toMatch(/^%% JobMaster task graph \(code\): 11 tasks, 5 dependencies, 0 chains, 1 workflow\nflowchart LR\n/);
  expect(text).toContain('["reports.extract<br/>1 unit · write-all: region, format"]');
  expect(text).toContain('["nice_tasks.baz<br/>3 units"]');
  const ids = mermaidIds(text);
  const edge = (from: string, to: string) => new RegExp(`^  ${ids.get(from)} -->\\|"([^"]*)"\\| ${ids.get(to)}$`, 'm');
  expect(text.match(edge('nice_tasks.foo', 'nice_tasks.bar'))?.[1]).toBe('6h · number=10');
  expect(text.match(edge('nice_tasks.bar', 'nice_tasks.baz'))?.[1]).toBe('2h · number=5');
  // Two dependencies on the same task are two edges; a quote in a label is an entity code, not the label's end.
  expect(text).toContain(`${ids.get('reports.extract')} -->|"1d · format=#quot;json#quot;, year=same - 1"| ${ids.get('reports.compare')}`);
  expect(text).toContain(`${ids.get('reports.extract')} -->|"1d · format=#quot;json#quot;"| ${ids.get('reports.compare')}`);
  expect(text).toContain('subgraph wf0["workflow pipeline"]');
  expect(text).toContain(`${ids.get('load')}["load<br/>pipeline.load"]`);
  expect(text).toContain(`${ids.get('transform')} --> ${ids.get('load')}`);
  expect(text).toContain(`${ids.get('profile')} --> ${ids.get('load')}`);
  expect(text.match(/-->/g)).toHaveLength(5 + 4);
});

test('DOT: one digraph with a cluster of tasks and one per workflow, quotes in labels escaped', async () => {
  const text = await graph(['--format', 'dot']);
  expect(text).toContain('digraph jobmaster {');
  expect(text).toContain('subgraph cluster_tasks {');
  expect(text).toContain('subgraph cluster_wf0 {');
  expect(text).toContain('label="workflow pipeline";');
  expect(text).toMatch(/\bt\d+ \[label="reports\.extract\\n1 unit · write-all: region, format"\];/);
  expect(text).toMatch(/t\d+ -> t\d+ \[label="1d · format=\\"json\\", year=same - 1"\];/);
  expect(text.match(/ -> /g)).toHaveLength(9);
  expect(text.trimEnd().endsWith('}')).toBe(true);
});

test('JSON: the tasks, each dependency with its hours and arguments as declared, and the workflows steps', async () => {
  const g = await jsonGraph([]);
  expect(g.source).toBe('code');
  expect(g.focus).toBeNull();
  expect(g.tasks.map((t) => t.task)).toEqual([
    'greetings.greet',
    'nice_tasks.bar',
    'nice_tasks.baz',
    'nice_tasks.foo',
    'pipeline.extract',
    'pipeline.load',
    'pipeline.profile',
    'pipeline.transform',
    'reports.compare',
    'reports.extract',
    'things1.foo',
  ]);
  expect(g.tasks.find((t) => t.task === 'reports.extract')).toMatchObject({ processUnits: 1, writeAll: ['region', 'format'] });
  expect(g.dependencies).toContainEqual({
    from: 'reports.extract',
    to: 'reports.compare',
    hours: 24,
    arguments: {
      region: { kind: 'same', parameter: 'region', ops: [] },
      format: { kind: 'value', value: 'json' },
      year: { kind: 'same', parameter: 'year', ops: [{ op: '-', operand: 1 }] },
    },
  });
  expect(g.workflows).toEqual([
    expect.objectContaining({
      name: 'pipeline',
      steps: [
        { id: 'extract', task: 'pipeline.extract', requires: [] },
        { id: 'transform', task: 'pipeline.transform', requires: ['extract'] },
        { id: 'profile', task: 'pipeline.profile', requires: ['extract'] },
        { id: 'load', task: 'pipeline.load', requires: ['transform', 'profile'] },
      ],
    }),
  ]);
});

test('--task keeps the task, everything upstream and downstream of it (transitively), and the workflows with a step of it', async () => {
  const bar = await jsonGraph(['--task', 'nice_tasks.bar']);
  expect(bar.focus).toBe('nice_tasks.bar');
  expect(bar.tasks.map((t) => t.task)).toEqual(['nice_tasks.bar', 'nice_tasks.baz', 'nice_tasks.foo']);
  // foo -> baz is not a path through bar: left out.
  expect(bar.dependencies.map((d) => `${d.from} -> ${d.to}`)).toEqual([
    'nice_tasks.foo -> nice_tasks.bar',
    'nice_tasks.bar -> nice_tasks.baz',
  ]);
  expect(bar.workflows).toEqual([]);

  const foo = await jsonGraph(['--task', 'nice_tasks.foo']);
  expect(foo.tasks.map((t) => t.task)).toEqual(['nice_tasks.bar', 'nice_tasks.baz', 'nice_tasks.foo']);
  expect(foo.dependencies).toHaveLength(3);

  const extract = await jsonGraph(['--task', 'pipeline.extract']);
  expect(extract.tasks.map((t) => t.task)).toEqual(['pipeline.extract']);
  expect(extract.workflows.map((w) => w.name)).toEqual(['pipeline']);

  const mermaid = await graph(['--task', 'nice_tasks.bar']);
  expect(mermaid).toContain('subgraph tasks["Tasks around nice_tasks.bar"]');
  expect(mermaid).toMatch(/class t\d+ focus$/m);
  expect(mermaid).not.toContain('greetings.greet');
});

test('a workflow named alone is drawn without the tasks', async () => {
  const text = await graph(['pipeline', '--format', 'dot']);
  expect(text).not.toContain('cluster_tasks');
  expect(text).toContain('subgraph cluster_wf0 {');
  expect(text.match(/ -> /g)).toHaveLength(4);
});

test('--deployed reads what jm deploy synced, the same graph as the code it came from', async () => {
  const deployed = await runJm(['deploy', ...dbFlags(db)]);
  expect(deployed.code).toBe(0);
  const fromCode = await jsonGraph([]);
  const fromDatabase = await jsonGraph(['--deployed', ...dbFlags(db)]);
  expect(fromDatabase.source).toBe('deployed');
  expect({ ...fromDatabase, source: 'code' }).toEqual(fromCode);
  // The database holds what was deployed, whatever the code loaded now says.
  const config = join(mkdtempSync(join(tmpdir(), 'jm-graph-')), 'jobmaster.config.json');
  writeFileSync(config, JSON.stringify({ tasks: join(REPO_ROOT, 'examples/things1.ts') }));
  const narrowed = await runJm(['deploy', '--config', config, ...dbFlags(db)]);
  expect(narrowed.code).toBe(0);
  const after = await jsonGraph(['--deployed', ...dbFlags(db)]);
  expect(after.tasks.map((t) => t.task)).toEqual(['things1.foo']);
  expect(after.workflows).toEqual([]);
  expect((await jsonGraph([])).tasks).toHaveLength(11);
});

test.each([
  [['--format', 'svg'], 'jm: --format must be mermaid, dot or json, got "svg"'],
  [
    ['--task', 'nice_tasks.nope'],
    'jm: No task "nice_tasks.nope" in the task modules loaded ("jm tasks" lists them; name it as type_key.task_key)',
  ],
  [['nope'], 'jm: No workflow "nope" is deployed ("jm deploy" syncs the workflow files; "jm workflows" lists them)'],
  [['pipeline', '--task', 'pipeline.extract'], 'jm: Give a workflow or --task, not both (a workflow is drawn whole)'],
])('bad input %j: one line, exit 1, nothing on stdout', async (args, line) => {
  const result = await runJm(['graph', ...args]);
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toBe(`${line}\n`);
});

test('--deployed --task names a task the database does not hold', async () => {
  const result = await runJm(['graph', '--deployed', '--task', 'x.y', ...dbFlags(db)]);
  expect(result.code).toBe(1);
  expect(result.stderr).toBe('jm: No task "x.y" is deployed ("jm deploy" syncs the tasks in code; name it as type_key.task_key)\n');
});

test('next-task chains are dotted edges of their own, in every format, from the code and as deployed, and count for --task', async () => {
  const chain = ['--tasks', 'test/fixtures/workflow/chain/chain.ts'];
  const text = await graph(chain);
  expect(text).toMatch(/: 7 tasks, 0 dependencies, 5 chains, 0 workflows\n/);
  const ids = mermaidIds(text);
  expect(text).toContain(`  ${ids.get('chain.fetch')} -.->|"next: result → arguments"| ${ids.get('chain.count')}`);
  expect(text).toContain(`  ${ids.get('chain.count')} -.->|"next: result → arguments"| ${ids.get('chain.store')}`);
  const dot = await graph([...chain, '--format', 'dot']);
  expect(dot).toMatch(/ -> \w+ \[label="next: result → arguments", style=dashed\];/);
  const json = await jsonGraph(chain);
  expect(json.chains).toContainEqual({ from: 'chain.fetch', to: 'chain.count' });
  // Around count: fetch runs before it, store after it; the other chains are not around it.
  const around = await jsonGraph([...chain, '--task', 'chain.count']);
  expect(around.tasks.map((t) => t.task)).toEqual(['chain.count', 'chain.fetch', 'chain.store']);
  expect(around.chains).toEqual([
    { from: 'chain.count', to: 'chain.store' },
    { from: 'chain.fetch', to: 'chain.count' },
  ]);
  const deployed = await runJm(['deploy', ...dbFlags(db), ...chain]);
  expect(deployed.code).toBe(0);
  const fromDatabase = await jsonGraph(['--deployed', ...dbFlags(db)]);
  expect(fromDatabase.chains).toEqual(json.chains);
});
