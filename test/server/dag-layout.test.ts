// The dashboard's DAG pictures are laid out on the server: layers by longest path, placeholder
// points for edges that span layers, and an order within layers with as few crossings as found.
import { expect, test } from 'vitest';
import { layoutDag } from '../../packages/server/src/pages/dag-layout.js';

const SIZES = { nodeWidth: 100, nodeHeight: 40, layerGap: 50, rowGap: 10, margin: 5 };

test("each node's layer is the longest path reaching it, so a step is drawn right of everything it requires", () => {
  const layout = layoutDag(
    ['a', 'b', 'c', 'd'],
    [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'a', to: 'c' },
      { from: 'c', to: 'd' },
    ],
    SIZES,
  );
  expect(['a', 'b', 'c', 'd'].map((id) => layout.nodes.get(id)!.layer)).toEqual([0, 1, 2, 3]);
  for (const e of layout.edges) expect(layout.nodes.get(e.from)!.x).toBeLessThan(layout.nodes.get(e.to)!.x);
  expect(layout.width).toBe(2 * 5 + 4 * 100 + 3 * 50);
});

test('an edge spanning layers bends through one placeholder per layer crossed, never through a box', () => {
  const layout = layoutDag(
    ['a', 'b', 'c'],
    [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'a', to: 'c' },
    ],
    SIZES,
  );
  const long = layout.edges.find((e) => e.from === 'a' && e.to === 'c')!;
  expect(long.points).toHaveLength(4); // out of a, through the middle layer (in and out), into c
  const b = layout.nodes.get('b')!;
  const [, enter] = long.points;
  expect(enter!.x).toBe(b.x);
  expect(enter!.y === b.y + SIZES.nodeHeight / 2).toBe(false);
});

test('the order within layers removes crossings the input order has', () => {
  // Given in an order that crosses: a1 -> b2 and a2 -> b1.
  const layout = layoutDag(
    ['a1', 'a2', 'b1', 'b2', 'c1', 'c2'],
    [
      { from: 'a1', to: 'b2' },
      { from: 'a2', to: 'b1' },
      { from: 'b1', to: 'c2' },
      { from: 'b2', to: 'c1' },
    ],
    SIZES,
  );
  expect(layout.crossings).toBe(0);
  const y = (id: string) => layout.nodes.get(id)!.y;
  expect(y('a1') < y('a2')).toBe(y('b2') < y('b1'));
});

test('a 1,000-wide fan-out and fan-in is laid out in three layers with no crossing', () => {
  const middle = Array.from({ length: 1000 }, (_, i) => `m${i}`);
  const layout = layoutDag(
    ['start', ...middle, 'end'],
    middle.flatMap((m) => [
      { from: 'start', to: m },
      { from: m, to: 'end' },
    ]),
    SIZES,
  );
  expect(layout.crossings).toBe(0);
  expect(new Set([...layout.nodes.values()].map((n) => n.layer))).toEqual(new Set([0, 1, 2]));
  expect(layout.height).toBe(2 * 5 + 1000 * 40 + 999 * 10);
});

test('unknown ends, self-loops and repeated edges are dropped; a cycle that slipped through is still drawn', () => {
  const layout = layoutDag(
    ['a', 'b', 'c'],
    [
      { from: 'a', to: 'b' },
      { from: 'a', to: 'b' },
      { from: 'a', to: 'a' },
      { from: 'a', to: 'zz' },
      { from: 'b', to: 'c' },
      { from: 'c', to: 'b' },
    ],
    SIZES,
  );
  expect(layout.nodes.size).toBe(3);
  expect(layout.edges.map((e) => `${e.from}->${e.to}`)).toEqual(['a->b', 'b->c', 'c->b']);
});
