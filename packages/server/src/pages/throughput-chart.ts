import { html } from 'hono/html';
import type { ThroughputMinute } from 'jobmaster';
import { formatTime } from './format.js';
import type { Html } from './layout.js';

const WIDTH = 600;
const HEIGHT = 120;

/** Finished jobs per minute as bars (complete above failed), drawn on the server as SVG: no script, no library. */
export function throughputChart(minutes: readonly ThroughputMinute[]): Html {
  const peak = Math.max(1, ...minutes.map((m) => m.complete + m.failed));
  const slot = WIDTH / Math.max(1, minutes.length);
  const bar = Math.max(1, slot - 1);
  const y = (n: number): number => (n / peak) * (HEIGHT - 12);
  const total = minutes.reduce((sum, m) => sum + m.complete + m.failed, 0);
  return html`<figure class="chart">
    <svg
      viewBox="0 0 ${WIDTH} ${HEIGHT}"
      width="100%"
      height="${HEIGHT}"
      role="img"
      aria-label="Finished jobs per minute over the last hour"
    >
      <line x1="0" y1="${HEIGHT - 0.5}" x2="${WIDTH}" y2="${HEIGHT - 0.5}" class="axis" />
      ${minutes.map((m, i) => {
        const x = (i * slot).toFixed(1);
        const hc = y(m.complete);
        const hf = y(m.failed);
        return html`<g>
          <title>${formatTime(m.minute)}: ${m.complete} complete, ${m.failed} failed</title>
          <rect x="${x}" y="${(HEIGHT - hc).toFixed(1)}" width="${bar.toFixed(1)}" height="${hc.toFixed(1)}" class="bar-complete" />
          <rect x="${x}" y="${(HEIGHT - hc - hf).toFixed(1)}" width="${bar.toFixed(1)}" height="${hf.toFixed(1)}" class="bar-failed" />
        </g>`;
      })}
    </svg>
    <figcaption>
      Finished per minute, last ${minutes.length} minutes (peak ${peak}/min): ${total} jobs (<span class="legend-complete">complete</span>,
      <span class="legend-failed">failed</span>)
    </figcaption>
  </figure>`;
}
