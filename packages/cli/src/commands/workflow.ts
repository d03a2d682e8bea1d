import type { Command } from 'commander';
import {
  InvalidArgumentsError,
  ON_CONFLICT_MODES,
  WORKFLOW_RUN_STATUSES,
  cancelWorkflowRun,
  getWorkflowRun,
  listWorkflowRuns,
  retryWorkflowRun,
  startWorkflow,
  planWorkflowRun,
  type WorkflowRunPlan,
  type WorkflowStartRequest,
  type JsonValue,
  type OnConflict,
  type WorkflowRunDetail,
  type WorkflowRunStatus,
  type WorkflowRunSummary,
  type WorkflowStartResult,
} from 'jobmaster';
import type { CliContext } from '../cli-context.js';
import { execute, wantsJson, withCommonOptions, type CommonOptions } from '../command-runner.js';
import { readJsonOption } from '../json-input.js';
import type { Output } from '../output.js';
import { renderWorkflowRun, renderWorkflowRuns } from '../status-view/workflow-run-view.js';
import { renderWorkflowRunPlan } from '../status-view/plan-view.js';

type WorkflowStartOptions = { name: string; json?: string; key?: string; onConflict?: string };

/** The start request the options describe, checked as far as the command line can. */
function workflowStartRequest(options: WorkflowStartOptions): WorkflowStartRequest {
  let params: Record<string, JsonValue> = {};
  if (options.json !== undefined) {
    const text = readJsonOption(options.json, '--json', `workflow ${JSON.stringify(options.name)}`);
    try {
      params = JSON.parse(text) as Record<string, JsonValue>;
    } catch (error) {
      throw new InvalidArgumentsError(`workflow ${JSON.stringify(options.name)}: --json is not valid JSON (${(error as Error).message})`);
    }
  }
  if (options.onConflict !== undefined && !ON_CONFLICT_MODES.includes(options.onConflict as OnConflict)) {
    throw new InvalidArgumentsError(`--on-conflict must be raise, ignore or replace, got ${JSON.stringify(options.onConflict)}`);
  }
  return {
    name: options.name,
    params,
    ...(options.key !== undefined && { runKey: options.key }),
    ...(options.onConflict !== undefined && { onConflict: options.onConflict as OnConflict }),
  };
}

/** `jm workflow start NAME --json '{...}'`: starts a run; the value carries its id. */
export async function workflowStartCommand(
  ctx: CliContext,
  options: WorkflowStartOptions,
): Promise<WorkflowStartResult & { workflow: string }> {
  const result = await startWorkflow(ctx.pool(), ctx.schema, workflowStartRequest(options));
  return { workflow: options.name, ...result };
}

/** `jm workflow start NAME --plan`: the run and steps a start would create now, written nowhere. */
export async function planWorkflowStartCommand(ctx: CliContext, options: WorkflowStartOptions): Promise<WorkflowRunPlan> {
  return await planWorkflowRun(ctx.pool(), ctx.schema, workflowStartRequest(options));
}

/** `jm workflow status RUN`. */
export async function workflowStatusCommand(ctx: CliContext, runId: string): Promise<WorkflowRunDetail> {
  return await getWorkflowRun(ctx.pool(), ctx.schema, runId);
}

/** `jm workflow runs [--name N] [--status S]`. */
export async function workflowRunsCommand(ctx: CliContext, options: { name?: string; status?: string }): Promise<WorkflowRunSummary[]> {
  if (options.status !== undefined && !WORKFLOW_RUN_STATUSES.includes(options.status as WorkflowRunStatus)) {
    throw new InvalidArgumentsError(`--status must be one of ${WORKFLOW_RUN_STATUSES.join(', ')}, got ${JSON.stringify(options.status)}`);
  }
  return await listWorkflowRuns(ctx.pool(), ctx.schema, {
    ...(options.name !== undefined && { workflow: options.name }),
    ...(options.status !== undefined && { status: options.status as WorkflowRunStatus }),
  });
}

const CLEAR_SCREEN = '\u001b[2J\u001b[H';

/** `jm workflow status RUN --watch`: redraws until the run ends or `signal` aborts; returns the last view. */
export async function watchWorkflowRun(
  ctx: CliContext,
  runId: string,
  out: Output,
  signal: AbortSignal,
  intervalMs = 1000,
): Promise<WorkflowRunDetail> {
  for (;;) {
    const run = await workflowStatusCommand(ctx, runId);
    out.write(`${out.isTTY ? CLEAR_SCREEN : ''}${renderWorkflowRun(out, run)}\n`);
    if (run.status !== 'running' || signal.aborted) return run;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}

export function registerWorkflowCommand(program: Command, out: Output): void {
  const workflow = program.command('workflow').description('start, follow, cancel and retry workflow runs');
  withCommonOptions(
    workflow
      .command('start')
      .description('start a run of a deployed workflow; prints the run id')
      .argument('<name>', 'the workflow')
      .option('--json <params>', 'the run parameters as a JSON object, or @file, or - for standard input')
      .option('--key <run_key>', "a name for the run, unique among the workflow's running runs")
      .option('--on-conflict <mode>', 'when the key is held by a running run: raise, ignore or replace')
      .option('--plan', 'write nothing; show the run and steps a start would create now'),
    { jsonFlag: false },
  ).action(async (name: string, options: CommonOptions & { json?: string; key?: string; onConflict?: string; plan?: boolean }) => {
    if (options.plan) {
      await execute(
        options,
        out,
        (ctx) => planWorkflowStartCommand(ctx, { name, ...options }),
        (o, v) => o.write(renderWorkflowRunPlan(o, v)),
        {
          jsonFlag: false,
          repeatable: true,
        },
      );
      return;
    }
    await execute(
      options,
      out,
      (ctx) => workflowStartCommand(ctx, { name, ...options }),
      (o, v) => o.write(v.runId),
      { jsonFlag: false },
    );
  });
  withCommonOptions(
    workflow
      .command('status')
      .description('show a run and a table of its steps')
      .argument('<run_id>', 'the run')
      .option('-w, --watch', 'redraw every second until the run ends or Ctrl-C'),
  ).action(async (runId: string, options: CommonOptions & { watch?: boolean }) => {
    if (options.watch) {
      if (wantsJson(options)) throw new InvalidArgumentsError('--watch redraws a table; for JSON, run without --watch');
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      try {
        await execute(
          options,
          out,
          (ctx) => watchWorkflowRun(ctx, runId, out, stop.signal),
          () => {},
        );
      } finally {
        process.off('SIGINT', onSignal);
      }
      return;
    }
    await execute(
      options,
      out,
      (ctx) => workflowStatusCommand(ctx, runId),
      (o, v) => o.write(renderWorkflowRun(o, v)),
    );
  });
  withCommonOptions(
    workflow
      .command('runs')
      .description('list workflow runs, newest first')
      .option('--name <workflow>', 'only runs of this workflow')
      .option('--status <status>', `only runs in this status: ${WORKFLOW_RUN_STATUSES.join(', ')}`),
  ).action(async (options: CommonOptions & { name?: string; status?: string }) => {
    await execute(
      options,
      out,
      (ctx) => workflowRunsCommand(ctx, options),
      (o, v) => o.write(renderWorkflowRuns(o, v)),
    );
  });
  withCommonOptions(
    workflow
      .command('cancel')
      .description('cancel a run: waiting steps are cancelled, running ones signalled')
      .argument('<run_id>', 'the run'),
  ).action(async (runId: string, options: CommonOptions) => {
    await execute(
      options,
      out,
      (ctx) => cancelWorkflowRun(ctx.pool(), ctx.schema, runId),
      (o, v) => o.write(v.cancelled ? `Run ${v.runId} cancelled.` : `Run ${v.runId} had already ended (${v.status}).`),
    );
  });
  withCommonOptions(
    workflow
      .command('retry')
      .description("run a failed or cancelled run again, reusing completed steps' results")
      .argument('<run_id>', 'the run')
      .option('--from <step>', 'also rerun this step and everything downstream of it'),
  ).action(async (runId: string, options: CommonOptions & { from?: string }) => {
    await execute(
      options,
      out,
      (ctx) => retryWorkflowRun(ctx.pool(), ctx.schema, runId, options.from !== undefined ? { fromStep: options.from } : {}),
      (o, v) => o.write(`Run ${v.runId} retried: ${v.steps.join(', ') || 'no steps'} will run again.`),
    );
  });
}
