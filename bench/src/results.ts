import { figure, type Figure } from './stats.js';

/** One row of a results table: a system at some settings, with one value per run for each metric. */
export interface Row {
  label: string;
  system: string;
  metrics: Record<string, number[]>;
  /** Free-form notes shown beside the row (time-boxed runs, failures). */
  notes: string[];
  /** A stable name the targets table finds the row by (labels carry settings and may change). */
  key?: string;
}

/** A table of rows sharing metrics; `reference` names the JobMaster row the ratios compare with. */
export interface Table {
  title: string;
  /** Metric name -> column heading, unit and whether more is better (for the ratio's reading). */
  columns: Array<{ metric: string; heading: string; digits: number; ratio: boolean }>;
  rows: Row[];
  reference?: string;
  note?: string;
}

export function newRow(label: string, system: string, key?: string): Row {
  return { label, system, metrics: {}, notes: [], ...(key !== undefined && { key }) };
}

export function record(row: Row, metric: string, value: number): void {
  (row.metrics[metric] ??= []).push(value);
}

function format(value: number, fractionDigits: number): string {
  let digits = fractionDigits;
  if (!Number.isFinite(value)) return 'n/a';
  // Small figures (a time-boxed 0.5 jobs/s) keep a decimal rather than rounding to 0.
  if (digits === 0 && Math.abs(value) < 10) digits = 1;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function cell(f: Figure, digits: number): string {
  if (f.runs.length === 0 || !Number.isFinite(f.median)) return 'n/a';
  if (f.runs.length === 1) return format(f.median, digits);
  return `${format(f.median, digits)} (${format(f.min, digits)}–${format(f.max, digits)})`;
}

/** Renders a table as Markdown: median (min–max over runs), and ours/theirs on competitor rows. */
export function renderTable(table: Table): string {
  const ratioColumns = table.columns.filter((c) => c.ratio);
  const head = [
    'system and settings',
    ...table.columns.map((c) => c.heading),
    ...(table.reference ? ratioColumns.map((c) => `ours/theirs ${c.heading.split(' (')[0]}`) : []),
    'notes',
  ];
  const lines = [`### ${table.title}`, '', `| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  const reference = table.rows.find((r) => r.label === table.reference);
  for (const row of table.rows) {
    const cells = [row.label, ...table.columns.map((c) => cell(figure(row.metrics[c.metric] ?? []), c.digits))];
    if (table.reference) {
      for (const c of ratioColumns) {
        const ours = figure(reference?.metrics[c.metric] ?? []).median;
        const theirs = figure(row.metrics[c.metric] ?? []).median;
        cells.push(row === reference || row.system === 'jobmaster' ? '' : `${format(ours / theirs, 2)}×`);
      }
    }
    cells.push(row.notes.join('; '));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  if (table.note) lines.push('', table.note);
  return lines.join('\n');
}
