/**
 * A small layered layout for DAGs, drawn left to right: each node's layer is the length of the
 * longest path reaching it, edges spanning several layers pass through placeholder points (one
 * per layer crossed), the order within each layer is improved by barycenter sweeps that keep
 * the ordering with the fewest crossings, and edges are polylines through their placeholders.
 */

export interface DagEdgeInput {
  from: string;
  to: string;
}

export interface DagSizes {
  nodeWidth: number;
  nodeHeight: number;
  /** Horizontal space between layers (where edge labels go). */
  layerGap: number;
  /** Vertical space between nodes of a layer. */
  rowGap: number;
  margin: number;
}

export interface PlacedNode {
  id: string;
  layer: number;
  /** Top-left corner. */
  x: number;
  y: number;
}

export interface RoutedEdge {
  from: string;
  to: string;
  /** From the source's right side, through the layers crossed, to the target's left side. */
  points: { x: number; y: number }[];
}

export interface DagLayout {
  width: number;
  height: number;
  nodes: Map<string, PlacedNode>;
  edges: RoutedEdge[];
  /** Edge crossings between adjacent layers in the chosen order. */
  crossings: number;
}

/** Sweeps of the ordering heuristic (down and up alternately). */
const SWEEPS = 8;

/** Layer of each node: 0 without predecessors, else one more than its deepest predecessor. Nodes on a cycle go last. */
function assignLayers(ids: string[], preds: Map<string, string[]>, succs: Map<string, string[]>): Map<string, number> {
  const layer = new Map<string, number>();
  const indegree = new Map(ids.map((id) => [id, preds.get(id)!.length]));
  const queue = ids.filter((id) => indegree.get(id) === 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    layer.set(id, Math.max(0, ...preds.get(id)!.map((p) => layer.get(p)! + 1)));
    for (const s of succs.get(id)!) {
      indegree.set(s, indegree.get(s)! - 1);
      if (indegree.get(s) === 0) queue.push(s);
    }
  }
  // A cycle cannot be deployed; should one reach here, its nodes still get drawn, after the rest.
  let next = Math.max(-1, ...layer.values()) + 1;
  for (const id of ids) if (!layer.has(id)) layer.set(id, next++);
  return layer;
}

/** Crossings between two adjacent layers: inversions among the segments' lower ends once sorted by upper end. */
function countCrossings(segments: [number, number][]): number {
  const sorted = [...segments].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const size = Math.max(0, ...sorted.map((s) => s[1])) + 2;
  const tree = new Array<number>(size + 1).fill(0);
  let crossings = 0;
  let seen = 0;
  for (const [, lower] of sorted) {
    // Segments seen so far whose lower end is right of this one cross it.
    let atMost = 0;
    for (let i = lower + 1; i > 0; i -= i & -i) atMost += tree[i]!;
    crossings += seen - atMost;
    for (let i = lower + 1; i <= size; i += i & -i) tree[i]!++;
    seen++;
  }
  return crossings;
}

/** Lays out the nodes `ids` (in a stable input order) and `edges` among them; unknown ends and self-loops are dropped. */
export function layoutDag(ids: string[], edgeInput: DagEdgeInput[], sizes: DagSizes): DagLayout {
  const known = new Set(ids);
  const seenEdge = new Set<string>();
  const edges = edgeInput.filter((e) => {
    const key = JSON.stringify([e.from, e.to]);
    if (!known.has(e.from) || !known.has(e.to) || e.from === e.to || seenEdge.has(key)) return false;
    seenEdge.add(key);
    return true;
  });
  const preds = new Map<string, string[]>(ids.map((id) => [id, []]));
  const succs = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) {
    preds.get(e.to)!.push(e.from);
    succs.get(e.from)!.push(e.to);
  }
  const layerOf = assignLayers(ids, preds, succs);

  // Every edge becomes a chain of unit segments; placeholders stand in the layers it crosses.
  // Keys of placeholders start with a NUL, which no node id holds.
  const layerOfKey = new Map(layerOf);
  const chains: string[][] = [];
  const down = new Map<string, string[]>();
  const up = new Map<string, string[]>();
  const link = (a: string, b: string): void => {
    (down.get(a) ?? down.set(a, []).get(a)!).push(b);
    (up.get(b) ?? up.set(b, []).get(b)!).push(a);
  };
  edges.forEach((e, i) => {
    const [from, to] = layerOf.get(e.from)! < layerOf.get(e.to)! ? [e.from, e.to] : [e.to, e.from];
    const chain = [from];
    for (let l = layerOf.get(from)! + 1; l < layerOf.get(to)!; l++) {
      const key = `\u0000${i}:${l}`;
      layerOfKey.set(key, l);
      chain.push(key);
    }
    chain.push(to);
    for (let k = 1; k < chain.length; k++) link(chain[k - 1]!, chain[k]!);
    chains.push(e.from === from ? chain : [...chain].reverse());
  });

  const layerCount = Math.max(0, ...layerOfKey.values()) + 1;
  let layers: string[][] = Array.from({ length: layerCount }, () => []);
  for (const id of ids) layers[layerOf.get(id)!]!.push(id);
  for (const [key, l] of layerOfKey) if (key.startsWith('\u0000')) layers[l]!.push(key);

  const total = (order: string[][]): number => {
    let sum = 0;
    for (let l = 0; l + 1 < order.length; l++) {
      const pos = new Map(order[l + 1]!.map((k, i) => [k, i]));
      sum += countCrossings(order[l]!.flatMap((k, i) => (down.get(k) ?? []).map((t) => [i, pos.get(t)!] as [number, number])));
    }
    return sum;
  };
  const reorder = (layer: string[], neighbours: Map<string, string[]>, fixed: string[]): string[] => {
    const pos = new Map(fixed.map((k, i) => [k, i]));
    const weight = new Map(
      layer.map((k, i) => {
        const ns = (neighbours.get(k) ?? []).map((n) => pos.get(n)!).filter((p) => p !== undefined);
        return [k, ns.length ? ns.reduce((a, b) => a + b, 0) / ns.length : i];
      }),
    );
    return layer
      .map((k, i) => ({ k, i }))
      .sort((a, b) => weight.get(a.k)! - weight.get(b.k)! || a.i - b.i)
      .map((x) => x.k);
  };
  let best = layers.map((l) => [...l]);
  let bestCrossings = total(best);
  for (let sweep = 0; sweep < SWEEPS && bestCrossings > 0; sweep++) {
    if (sweep % 2 === 0) for (let l = 1; l < layerCount; l++) layers[l] = reorder(layers[l]!, up, layers[l - 1]!);
    else for (let l = layerCount - 2; l >= 0; l--) layers[l] = reorder(layers[l]!, down, layers[l + 1]!);
    const crossings = total(layers);
    if (crossings < bestCrossings) {
      best = layers.map((l) => [...l]);
      bestCrossings = crossings;
    }
  }
  layers = best;

  // Coordinates: layers left to right, each centred on the tallest.
  const { nodeWidth, nodeHeight, layerGap, rowGap, margin } = sizes;
  const tallest = Math.max(1, ...layers.map((l) => l.length));
  const height = 2 * margin + tallest * nodeHeight + (tallest - 1) * rowGap;
  const width = 2 * margin + layerCount * nodeWidth + Math.max(0, layerCount - 1) * layerGap;
  const at = new Map<string, { x: number; y: number }>();
  layers.forEach((layer, l) => {
    const top = margin + ((tallest - layer.length) * (nodeHeight + rowGap)) / 2;
    layer.forEach((key, i) => at.set(key, { x: margin + l * (nodeWidth + layerGap), y: top + i * (nodeHeight + rowGap) }));
  });
  const nodes = new Map(ids.map((id) => [id, { id, layer: layerOf.get(id)!, ...at.get(id)! }]));
  const middle = nodeHeight / 2;
  const routed = chains.map((chain, i) => {
    const points: { x: number; y: number }[] = [];
    chain.forEach((key, k) => {
      const p = at.get(key)!;
      if (k === 0) points.push({ x: p.x + nodeWidth, y: p.y + middle });
      else if (k === chain.length - 1) points.push({ x: p.x, y: p.y + middle });
      else points.push({ x: p.x, y: p.y + middle }, { x: p.x + nodeWidth, y: p.y + middle });
    });
    return { from: edges[i]!.from, to: edges[i]!.to, points };
  });
  return { width, height, nodes, edges: routed, crossings: bestCrossings };
}
