import type { ChalkInstance } from 'chalk';
import type { JobStatus } from 'jobmaster';

/** Right-aligns the given columns of a table body (numbers read best that way). */
export function alignRight(headers: string[], rows: string[][], columns: number[]): { headers: string[]; rows: string[][] } {
  const width = (i: number): number => Math.max(headers[i]!.length, ...rows.map((r) => (r[i] ?? '').length));
  const widths = new Map(columns.map((i) => [i, width(i)]));
  const pad = (cells: string[]): string[] => cells.map((cell, i) => (widths.has(i) ? cell.padStart(widths.get(i)!) : cell));
  return { headers: pad(headers), rows: rows.map(pad) };
}

/** Colours a status name (or a count under it) the way every status view does. */
export function statusColor(c: ChalkInstance, status: JobStatus | string): (text: string) => string {
  switch (status) {
    case 'waiting':
      return c.yellow;
    case 'running':
      return c.cyan;
    case 'complete':
      return c.green;
    case 'failed':
      return c.red;
    default:
      return c.gray;
  }
}

/** Cuts text to one line of at most `max` characters. */
export function oneLine(text: string | null, max = 100): string {
  if (!text) return '';
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
