import { html } from 'hono/html';

/** A time as the dashboard shows it: UTC, to the second. */
export function formatTime(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return '–';
  const date = value instanceof Date ? value : new Date(value);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A JSON value, indented, for a <pre>. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'null';
}

/** Compact JSON for a table cell, cut at `max` characters. */
export function shortJson(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A status as a coloured badge that the live script updates in place for job `id`. */
export function statusBadge(status: string, jobId?: string) {
  return jobId === undefined
    ? html`<span class="status status-${status}">${status}</span>`
    : html`<span class="status status-${status}" data-job-status="${jobId}">${status}</span>`;
}

/** A count with thousands separators. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** A filter form's labelled <select>: "any" first, then each choice, the current one selected. */
export function filterSelect(label: string, name: string, choices: readonly string[], current: string) {
  return html`<label
    >${label}
    <select name="${name}">
      <option value="">any</option>
      ${choices.map((c) => html`<option value="${c}" ${c === current ? 'selected' : ''}>${c}</option>`)}
    </select>
  </label>`;
}
