import type { WorkflowRunDetail, WorkflowRunSummary } from 'jobmaster';
import { formatTable, type Output } from '../output.js';
import { formatSeconds, formatTime } from './format-time.js';

function colorStatus(out: Output, status: string): string {
  const c = out.color;
  if (status === 'complete') return c.green(status);
  if (status === 'failed') return c.red(status);
  if (status === 'running' || status === 'started') return c.cyan(status);
  if (status === 'cancelled' || status === 'skipped') return c.yellow(status);
  return status;
}

/** `jm workflow status RUN`: the run, then one row per step. */
export function renderWorkflowRun(out: Output, run: WorkflowRunDetail): string {
  const head = [
    `${out.color.bold(`Run ${run.id}`)} of workflow ${out.color.bold(run.workflow)}: ${colorStatus(out, run.status)}`,
    `  started ${formatTime(run.createdAt)}${run.finishedAt ? `, ended ${formatTime(run.finishedAt)} (took ${formatSeconds((run.finishedAt.getTime() - run.createdAt.getTime()) / 1000)})` : ''}`,
    `  params ${JSON.stringify(run.params)}${run.runKey ? `, key ${JSON.stringify(run.runKey)}` : ''}`,
  ];
  if (run.message) head.push(`  ${run.message}`);
  const rows = run.stepList.map((s) => [
    s.id,
    s.task,
    s.status === 'started' && s.jobStatus ? `started (${s.jobStatus})` : s.status,
    s.jobId ?? '-',
    s.attempts === null ? '-' : String(s.attempts),
    formatTime(s.startedAt),
    s.tookSeconds === null ? '-' : formatSeconds(s.tookSeconds),
    (s.message ?? '').slice(0, 100),
  ]);
  const table = formatTable(['step', 'task', 'status', 'job', 'attempts', 'started', 'took', 'message'], rows, (col, cell) =>
    col === 2 ? colorStatus(out, cell.split(' ')[0]!) + cell.slice(cell.split(' ')[0]!.length) : cell,
  );
  return `${head.join('\n')}\n\n${table}`;
}

/** `jm workflow runs`: one row per run. */
export function renderWorkflowRuns(out: Output, runs: WorkflowRunSummary[]): string {
  if (runs.length === 0) return 'No workflow runs.';
  const rows = runs.map((r) => [
    r.id,
    r.workflow,
    r.status,
    Object.entries(r.steps)
      .map(([status, n]) => `${n} ${status}`)
      .join(', '),
    formatTime(r.createdAt),
    r.runKey ?? '',
    (r.message ?? '').slice(0, 80),
  ]);
  return formatTable(['run', 'workflow', 'status', 'steps', 'started', 'key', 'message'], rows, (col, cell) =>
    col === 2 ? colorStatus(out, cell) : cell,
  );
}

/** The workflow section of `jm status`: runs by workflow and status; empty when there are none. */
export function renderWorkflowRunCounts(out: Output, counts: { workflow: string; counts: Record<string, number> }[]): string {
  if (counts.length === 0) return '';
  const statuses = ['running', 'complete', 'failed', 'cancelled'];
  const rows = counts.map((c) => [c.workflow, ...statuses.map((s) => String(c.counts[s] ?? 0))]);
  return `${out.color.bold('Workflow runs')}\n${formatTable(['workflow', ...statuses], rows)}`;
}
