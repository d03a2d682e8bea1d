import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { layoutDag, type DagSizes } from './dag-layout.js';

/** A box of the picture: up to two lines, an optional link, and a class for its colour. */
export interface SvgNode {
  id: string;
  title: string;
  subtitle?: string;
  href?: string;
  /** Added to the node's classes, e.g. 'state-running' or 'focus'. */
  className?: string;
  /** The tooltip (defaults to title and subtitle). */
  tooltip?: string;
}

export interface SvgEdge {
  from: string;
  to: string;
  /** Lines of a small label near the edge's end. */
  label?: string[];
}

const SIZES: DagSizes = { nodeWidth: 200, nodeHeight: 44, layerGap: 56, rowGap: 16, margin: 12 };
const LABELLED_GAP = 150;
/** Characters a line of a box holds before it is cut (the tooltip keeps the whole text). */
const TITLE_CHARS = 26;
const LABEL_CHARS = 26;

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

let pictures = 0;

/**
 * A DAG as inline SVG, laid out on the server (no script, no style attribute: the classes are
 * styled by the dashboard's stylesheet, so the page's Content-Security-Policy holds). Every
 * text is escaped by the template.
 */
export function dagSvg(nodes: SvgNode[], edges: SvgEdge[], description: string): HtmlEscapedString | Promise<HtmlEscapedString> {
  const labelled = edges.some((e) => e.label?.length);
  const sizes = { ...SIZES, layerGap: labelled ? LABELLED_GAP : SIZES.layerGap };
  const layout = layoutDag(
    nodes.map((n) => n.id),
    edges,
    sizes,
  );
  const marker = `dag-arrow-${++pictures}`;
  const byPair = new Map(edges.map((e) => [JSON.stringify([e.from, e.to]), e]));
  return html`<svg
    class="dag"
    role="img"
    aria-label="${description}"
    width="${layout.width}"
    height="${layout.height}"
    viewBox="0 0 ${layout.width} ${layout.height}"
    xmlns="http://www.w3.org/2000/svg"
  >
    <defs>
      <marker id="${marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
        <path d="M0,0 L10,5 L0,10 z" class="dag-arrow"></path>
      </marker>
    </defs>
    ${layout.edges.map((e) => {
      const label = byPair.get(JSON.stringify([e.from, e.to]))?.label ?? [];
      const end = e.points[e.points.length - 1]!;
      const before = e.points[e.points.length - 2]!;
      const lx = (end.x + before.x) / 2;
      const ly = (end.y + before.y) / 2 - 4 - (label.length - 1) * 11;
      return html`<g class="dag-edge">
        <title>${label.join('\n') || `${e.from} → ${e.to}`}</title>
        <polyline points="${e.points.map((p) => `${p.x},${p.y}`).join(' ')}" marker-end="url(#${marker})"></polyline>
        ${label.map((line, i) => html`<text class="dag-edge-label" x="${lx}" y="${ly + i * 11}" text-anchor="middle">${cut(line, LABEL_CHARS)}</text>`)}
      </g>`;
    })}
    ${nodes.map((n) => {
      const p = layout.nodes.get(n.id)!;
      const box = html`<rect x="${p.x}" y="${p.y}" width="${sizes.nodeWidth}" height="${sizes.nodeHeight}" rx="6"></rect>
        <text class="dag-title" x="${p.x + 10}" y="${p.y + (n.subtitle ? 18 : 27)}">${cut(n.title, TITLE_CHARS)}</text>
        ${n.subtitle ? html`<text class="dag-subtitle" x="${p.x + 10}" y="${p.y + 34}">${cut(n.subtitle, TITLE_CHARS + 6)}</text>` : ''}`;
      const tooltip = n.tooltip ?? [n.title, n.subtitle].filter(Boolean).join('\n');
      return html`<g class="dag-node ${n.className ?? ''}" data-node="${n.id}">
        <title>${tooltip}</title>
        ${n.href ? html`<a href="${n.href}">${box}</a>` : box}
      </g>`;
    })}
  </svg>`;
}
