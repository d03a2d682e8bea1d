import { ALERT_COUNT_CAP, JOB_STATUSES, type QueueStatus } from 'jobmaster';
import { formatTable, type Output } from '../output.js';
import { alertsSection } from './alerts-view.js';
import { formatAgo, formatSeconds, formatTime } from './format-time.js';
import { alignRight, oneLine, statusColor } from './table-cells.js';
import { formatSchedules } from './schedules-view.js';

function describeFilters(status: QueueStatus): string {
  const parts = [`schema ${status.schema}`];
  if (status.filters.task) parts.push(`task ${status.filters.task}`);
  if (status.filters.status) parts.push(`status ${status.filters.status}`);
  if (status.filters.since) parts.push(`finished since ${formatTime(status.filters.since)}`);
  return `${parts.join(', ')}; at ${formatTime(status.at)}`;
}

function countsSection(out: Output, status: QueueStatus): string {
  const c = out.color;
  if (status.tasks.length === 0) return `${c.bold('Jobs')}\nNo jobs match.`;
  const statuses = status.filters.status ? JOB_STATUSES.filter((s) => s === status.filters.status) : [...JOB_STATUSES];
  const headers = ['TASK', ...statuses.map((s) => s.toUpperCase()), ...(statuses.length > 1 ? ['TOTAL'] : [])];
  const row = (name: string, counts: QueueStatus['totals']): string[] => [
    name,
    ...statuses.map((s) => String(counts[s])),
    ...(statuses.length > 1 ? [String(counts.total)] : []),
  ];
  const body = status.tasks.map((t) => row(t.task, t));
  if (status.tasks.length > 1) body.push(row('total', status.totals));
  const numeric = headers.map((_, i) => i).slice(1);
  const aligned = alignRight(headers, body, numeric);
  const table = formatTable(aligned.headers, aligned.rows, (column, cell) => {
    if (column === 0) return cell === 'total' && status.tasks.length > 1 ? c.bold(cell) : cell;
    const name = statuses[column - 1];
    if (name === undefined) return c.bold(cell);
    return cell.trim() === '0' ? c.dim(cell) : statusColor(c, name)(cell);
  });
  return `${c.bold('Jobs by task and status')}\n${table}`;
}

function runningSection(out: Output, status: QueueStatus): string | null {
  const c = out.color;
  if (status.filters.status && status.filters.status !== 'running') return null;
  const title = `${c.bold('Running now')} (${status.totals.running})`;
  if (status.running.length === 0) return `${title}\nNothing is running.`;
  const headers = ['JOB', 'TASK', 'NODE', 'PID', 'UNITS', 'ELAPSED', 'ATTEMPT'];
  const rows = status.running.map((j) => [
    j.id,
    j.task,
    j.node ?? '-',
    j.pid === null ? '-' : String(j.pid),
    String(j.processUnits),
    formatSeconds(j.elapsedSeconds),
    `${j.attempt}/${j.maxAttempts}${j.cancelRequested ? ' (cancelling)' : ''}`,
  ]);
  const aligned = alignRight(headers, rows, [0, 3, 4, 5]);
  const more = status.totals.running > status.running.length ? `\n… and ${status.totals.running - status.running.length} more` : '';
  return `${title}\n${formatTable(aligned.headers, aligned.rows, (col, cell) => (col === 0 ? c.cyan(cell) : cell))}${more}`;
}

function nodesSection(out: Output, status: QueueStatus): string {
  const c = out.color;
  const title = c.bold('Process units per node');
  if (status.nodes.length === 0) return `${title}\nNo live workers.`;
  const headers = ['NODE', 'WORKERS', 'IN USE', 'BUDGET', 'JOBS', 'LAST SEEN'];
  const rows = status.nodes.map((n) => [
    n.node,
    String(n.workers),
    String(n.inUse),
    n.budget === null ? '-' : String(n.budget),
    String(n.runningJobs),
    n.workers === 0 ? 'no live worker' : formatAgo(n.lastSeenAt, status.at),
  ]);
  const aligned = alignRight(headers, rows, [1, 2, 3, 4]);
  // Colour after aligning: formatTable measures cells without their colour codes.
  const coloured = aligned.rows.map((cells, i) => {
    const node = status.nodes[i]!;
    const full = node.budget !== null && node.inUse >= node.budget;
    return cells.map((cell, col) => (col === 5 && node.workers === 0 ? c.red(cell) : col === 2 && full ? c.yellow(cell) : cell));
  });
  return `${title}\n${formatTable(aligned.headers, coloured)}`;
}

function failuresSection(out: Output, status: QueueStatus): string | null {
  const c = out.color;
  if (status.filters.status && status.filters.status !== 'failed') return null;
  const title = c.bold('Recent failures');
  if (status.recentFailures.length === 0) return `${title}\nNone.`;
  const headers = ['JOB', 'TASK', 'FAILED', 'ATTEMPTS', 'MESSAGE'];
  const rows = status.recentFailures.map((f) => [
    f.id,
    f.task,
    formatAgo(f.finishedAt, status.at),
    `${f.attempts}/${f.maxAttempts}`,
    oneLine(f.message),
  ]);
  const aligned = alignRight(headers, rows, [0, 2, 3]);
  return `${title}\n${formatTable(aligned.headers, aligned.rows, (col, cell) => (col === 0 || col === 4 ? c.red(cell) : cell))}`;
}

function schedulesSection(out: Output, status: QueueStatus): string | null {
  if (status.schedules.length === 0) return null;
  return `${out.color.bold('Schedules')} (${status.schedules.length})\n${formatSchedules(out, status.schedules)}`;
}

/** `jm status` as text: counts by task and status, running jobs, units per node, recent failures, failure alerts, schedules. */
export function renderQueueStatus(out: Output, status: QueueStatus): string {
  const sections = [
    out.color.dim(describeFilters(status)),
    countsSection(out, status),
    runningSection(out, status),
    nodesSection(out, status),
    failuresSection(out, status),
    alertsSection(out, status.alerts, status.at, ALERT_COUNT_CAP),
    schedulesSection(out, status),
  ];
  return sections.filter((s): s is string => s !== null).join('\n\n');
}
