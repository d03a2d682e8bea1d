import type { EnqueuePlan, PlannedDependency, WorkflowRunPlan } from 'jobmaster';
import type { Output } from '../output.js';

const json = (value: unknown): string => JSON.stringify(value);
const units = (n: number): string => `${n} unit${n === 1 ? '' : 's'}`;

function dependencyLines(dependencies: PlannedDependency[]): string[] {
  if (dependencies.length === 0) return ['dependencies: none to insert or wait for (all met, or none declared)'];
  return [
    'dependencies (given the completions recorded now):',
    ...dependencies.map((d) => {
      const indent = '  '.repeat(d.depth);
      const what = `${d.task} ${json(d.arguments)}, priority ${d.priority}, ${units(d.processUnits)}`;
      if (d.isNew) return `${indent}${d.ref}: insert ${what}  (needed by ${d.neededBy})`;
      if (d.jobId === null) return `${indent}${d.ref} again  (needed by ${d.neededBy})`;
      return `${indent}wait for job ${d.jobId} (${d.status}): ${what}  (needed by ${d.neededBy})`;
    }),
  ];
}

/** `jm enqueue --plan` as text. */
export function renderEnqueuePlan(out: Output, plan: EnqueuePlan): string {
  const j = plan.job;
  const head: Record<EnqueuePlan['outcome'], string> = {
    inserted: 'would insert a new job',
    identical: `would insert nothing: an identical job ${j.jobId} is ${j.status}; the enqueue returns its id`,
    existing: `would insert nothing: job ${j.jobId} holds the key and is ${j.status}; the enqueue returns its id`,
    replaced: `would replace waiting job ${j.jobId} (it holds the key): new arguments, priority and run-at`,
    superseded: `would insert a new job holding the key; running job ${plan.keyHolder?.jobId ?? '?'} gives it up and finishes without retries`,
  };
  const lines = [
    out.color.bold(`plan: ${head[plan.outcome]} (nothing was written)`),
    `job: ${j.task} ${json(j.arguments)}`,
    `  priority ${j.priority}, ${units(j.processUnits)}, up to ${j.maxAttempts} attempts, run at ${j.runAt}${j.jobKey === null ? '' : `, key ${json(j.jobKey)}`}`,
  ];
  if (plan.fanOut) {
    const f = plan.fanOut;
    const rest = f.new < f.total ? ` (the other ${f.total - f.new} are waiting or running already)` : '';
    lines.push(`fan-out over ${f.parameters.join(', ')} when claimed: ${f.total} combinations, ${f.new} new jobs${rest}`);
    for (const [i, args] of f.combinations.entries()) lines.push(`  combination ${i + 1}: ${json(args)}`);
  }
  lines.push(...dependencyLines(plan.dependencies));
  return lines.join('\n');
}

/** `jm workflow start --plan` as text. */
export function renderWorkflowRunPlan(out: Output, plan: WorkflowRunPlan): string {
  if (plan.outcome === 'existing') {
    return out.color.bold(
      `plan: would start nothing: run ${plan.runId} of ${plan.workflow} holds the key; the start returns it (nothing was written)`,
    );
  }
  const lines = [
    out.color.bold(
      `plan: would ${plan.outcome === 'replaced' ? 'cancel the run holding the key and ' : ''}start a run of ${plan.workflow} (nothing was written)`,
    ),
    `params: ${json(plan.params)}`,
    'steps:',
    ...plan.steps.map((s) => {
      const when =
        s.status === 'started' ? 'starts now' : s.status === 'pending' ? `after ${s.requires.join(', ')}` : `fails: ${s.message ?? ''}`;
      const size = s.processUnits === null ? '' : `, ${units(s.processUnits)}`;
      return `  ${s.step}: ${s.task} ${json(s.arguments)}, priority ${s.priority}${size}; ${when}`;
    }),
    ...dependencyLines(plan.dependencies),
  ];
  return lines.join('\n');
}
