import type { JobDetail, RelatedJob } from 'jobmaster';
import { formatTable, type Output } from '../output.js';
import { formatTime } from './format-time.js';
import { statusColor } from './table-cells.js';

function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((line) => by + line)
    .join('\n');
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** `jm status JOB_ID` as text: the job's facts, its neighbours and its history. */
export function renderJobDetail(out: Output, job: JobDetail): string {
  const c = out.color;
  const colour = (status: string): string => statusColor(c, status)(status);
  const relatedLine = (r: RelatedJob): string => `${r.id} ${r.task} (${colour(r.status)})`;
  const facts: [string, string][] = [
    ['status', colour(job.status) + (job.cancelRequested && job.status === 'running' ? c.yellow(' (cancel requested)') : '')],
    ['priority', String(job.priority)],
    ['attempts', `${job.attempts} of ${job.maxAttempts}`],
    ['process units', String(job.processUnits)],
    ['created', formatTime(job.createdAt)],
    ['run at', formatTime(job.runAt)],
    ['started', formatTime(job.startedAt)],
    ['finished', formatTime(job.finishedAt)],
    ['node', job.node === null ? '-' : `${job.node} (pid ${job.pid ?? '?'})`],
  ];
  if (job.message) facts.push(['message', job.message]);
  if (job.spawnedBy) facts.push(['spawned by', `${relatedLine(job.spawnedBy)}, ${job.spawnedBy.reason}`]);
  const width = Math.max(...facts.map(([k]) => k.length));
  const lines = [
    `${c.bold(`Job ${job.id}`)}  ${c.bold(job.task)}`,
    ...facts.map(([k, v]) => `${c.dim(k.padEnd(width))}  ${v}`),
    '',
    c.bold('Arguments'),
    indent(json(job.arguments)),
  ];
  if (job.result !== null) lines.push('', c.bold('Result'), indent(json(job.result)));
  if (job.error) {
    lines.push('', c.bold(c.red(`Error${job.error.attempt === undefined ? '' : ` (attempt ${job.error.attempt})`}`)));
    lines.push(indent(job.error.stack ?? job.error.message ?? ''));
  }
  if (job.waitingFor.length) lines.push('', c.bold('Waiting for'), ...job.waitingFor.map((r) => `  ${relatedLine(r)}`));
  if (job.spawnedTotal) {
    lines.push('', c.bold(`Spawned (${job.spawnedTotal})`), ...job.spawned.map((r) => `  ${relatedLine(r)}`));
    if (job.spawnedTotal > job.spawned.length) lines.push(`  … and ${job.spawnedTotal - job.spawned.length} more`);
  }
  const history = job.history.map((e) => [
    formatTime(e.at),
    colour(e.status),
    e.node === null ? '-' : `${e.node}${e.pid === null ? '' : `:${e.pid}`}`,
    e.message ?? '',
  ]);
  lines.push('', c.bold('History'), formatTable(['AT', 'STATUS', 'NODE:PID', 'MESSAGE'], history));
  return lines.join('\n');
}
