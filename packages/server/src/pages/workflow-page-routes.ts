import type { Context, Hono } from 'hono';
import {
  InvalidArgumentsError,
  ON_CONFLICT_MODES,
  cancelWorkflowRun,
  focusTaskGraph,
  getDeployedWorkflow,
  getWorkflowRun,
  listDeployedWorkflows,
  listWorkflowRuns,
  parseRunId,
  readDeployedTaskGraph,
  retryWorkflowRun,
  startWorkflow,
  type JsonValue,
  type OnConflict,
} from 'jobmaster';
import { operatorFor } from '../api/endpoint.js';
import { parseRunListQuery } from '../api/workflow-run-query.js';
import { requireScope } from '../auth/authenticate.js';
import { isSameOrigin } from '../auth/same-origin.js';
import { ApiError } from '../http/api-error.js';
import { readFormBody } from '../http/read-body.js';
import type { ServerContext, ServerEnv } from '../server-env.js';
import { graphPage } from './graph-page.js';
import { workflowPage } from './workflow-page.js';
import { workflowRunPage } from './workflow-run-page.js';
import { workflowsPage } from './workflows-page.js';

function requireSameOrigin(c: Context<ServerEnv>): void {
  if (!isSameOrigin(c.req.raw)) throw new ApiError(403, 'JM_CROSS_ORIGIN', 'Refused: this form must be sent from the dashboard itself');
}

/** The start form's parameters: a JSON object, read with the messages of `jm workflow start --json`. */
function parseParams(workflow: string, text: string): Record<string, JsonValue> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentsError(`workflow ${JSON.stringify(workflow)}: params is not valid JSON (${(error as Error).message})`);
  }
  return value as Record<string, JsonValue>;
}

/**
 * Mounts the graph and workflow pages: /graph (the task dependency graph and the workflows as
 * pictures), /workflows (definitions and runs), /workflows/NAME, /workflow-runs/ID, and the
 * start, cancel and retry forms (operate scope, same origin).
 */
export function registerWorkflowPageRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  const base = ctx.basePath;
  const read = requireScope('read');
  const operate = requireScope('operate');
  const runPath = (id: string, notice?: string): string =>
    `${base}/workflow-runs/${id}${notice ? `?notice=${encodeURIComponent(notice)}` : ''}`;

  app.get(`${base}/graph`, read, async (c) => {
    const task = new URL(c.req.url).searchParams.get('task') || undefined;
    const whole = await readDeployedTaskGraph(ctx.pool, ctx.schema);
    const graph = task ? focusTaskGraph(whole, task) : whole;
    return c.html(
      graphPage(
        ctx,
        c.get('principal')!,
        graph,
        whole.tasks.map((t) => t.task),
      ),
    );
  });

  app.get(`${base}/workflows`, read, async (c) => {
    const query = new URL(c.req.url).searchParams;
    const { limit, ...filters } = parseRunListQuery(query, ['workflow', 'status', 'before']);
    const [workflows, runs] = await Promise.all([
      listDeployedWorkflows(ctx.pool, ctx.schema),
      listWorkflowRuns(ctx.pool, ctx.schema, { ...filters, limit }),
    ]);
    const nextCursor = runs.length === limit ? runs[runs.length - 1]!.id : null;
    return c.html(workflowsPage(ctx, c.get('principal')!, { workflows, runs, query, nextCursor }));
  });

  app.get(`${base}/workflows/:name`, read, async (c) => {
    const name = c.req.param('name');
    const { limit, ...filters } = parseRunListQuery(new URL(c.req.url).searchParams, ['status', 'before']);
    const [workflow, runs] = await Promise.all([
      getDeployedWorkflow(ctx.pool, ctx.schema, name),
      listWorkflowRuns(ctx.pool, ctx.schema, { ...filters, workflow: name, limit }),
    ]);
    const nextCursor = runs.length === limit ? runs[runs.length - 1]!.id : null;
    return c.html(workflowPage(ctx, c.get('principal')!, workflow, runs, nextCursor));
  });

  app.post(`${base}/workflows/:name/start`, operate, async (c) => {
    requireSameOrigin(c);
    const name = c.req.param('name');
    const form = await readFormBody(c.req.raw, ctx.bodyLimit);
    const runKey = (form.get('runKey') ?? '').trim();
    const onConflict = form.get('onConflict') || 'raise';
    if (!ON_CONFLICT_MODES.includes(onConflict as OnConflict)) {
      throw new InvalidArgumentsError(`onConflict must be raise, ignore or replace, got ${JSON.stringify(onConflict.slice(0, 40))}`);
    }
    const result = await startWorkflow(ctx.pool, ctx.schema, {
      name,
      params: parseParams(name, form.get('params') ?? ''),
      ...(runKey && { runKey, onConflict: onConflict as OnConflict }),
    });
    const notice = {
      started: `Started run ${result.runId}.`,
      existing: `A run with key "${runKey}" is already running: this is it.`,
      replaced: `Started run ${result.runId}, replacing the run that held key "${runKey}".`,
    }[result.outcome];
    return c.redirect(runPath(result.runId, notice), 303);
  });

  app.get(`${base}/workflow-runs/:id`, read, async (c) => {
    const run = await getWorkflowRun(ctx.pool, ctx.schema, c.req.param('id'));
    return c.html(workflowRunPage(ctx, c.get('principal')!, run, new URL(c.req.url).searchParams.get('notice') ?? undefined));
  });

  app.post(`${base}/workflow-runs/:id/cancel`, operate, async (c) => {
    requireSameOrigin(c);
    const id = parseRunId(c.req.param('id'));
    const result = await cancelWorkflowRun(ctx.pool, ctx.schema, id, operatorFor(c.get('principal')!));
    const notice = result.cancelled
      ? 'Cancelled: steps not started are skipped; running steps stop at their next heartbeat.'
      : `The run had already ended (${result.status}).`;
    return c.redirect(runPath(id, notice), 303);
  });

  app.post(`${base}/workflow-runs/:id/retry`, operate, async (c) => {
    requireSameOrigin(c);
    const id = parseRunId(c.req.param('id'));
    const fromStep = (await readFormBody(c.req.raw, ctx.bodyLimit)).get('fromStep') || undefined;
    const result = await retryWorkflowRun(ctx.pool, ctx.schema, id, fromStep === undefined ? {} : { fromStep });
    return c.redirect(runPath(id, `Running again: ${result.steps.join(', ') || 'no steps'}.`), 303);
  });
}
