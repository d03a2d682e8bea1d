import {
  cancelWorkflowRun,
  getDeployedWorkflow,
  getWorkflowRun,
  listDeployedWorkflows,
  listWorkflowRuns,
  retryWorkflowRun,
  startWorkflow,
  type JsonValue,
  type OnConflict,
} from 'jobmaster';
import { operatorFor, type Endpoint } from './endpoint.js';
import { workflowRetrySchema, workflowStartSchema } from './schemas.js';
import { RUN_LIST_PARAMETERS, parseRunListQuery } from './workflow-run-query.js';

interface StartBody {
  params?: Record<string, JsonValue>;
  runKey?: string;
  onConflict?: OnConflict;
}

export const workflowEndpoints: Endpoint[] = [
  {
    method: 'get',
    path: '/workflows',
    scope: 'read',
    summary: 'The deployed workflows with their parameters, steps and schedules',
    returns: '{ workflows: DeployedWorkflow[] }',
    async handle({ c, ctx }) {
      return c.json({ workflows: await listDeployedWorkflows(ctx.pool, ctx.schema) });
    },
  },
  {
    method: 'get',
    path: '/workflows/:name',
    scope: 'read',
    summary: 'One deployed workflow',
    returns: 'DeployedWorkflow',
    async handle({ c, ctx }) {
      return c.json(await getDeployedWorkflow(ctx.pool, ctx.schema, c.req.param('name')!));
    },
  },
  {
    method: 'post',
    path: '/workflows/:name/runs',
    scope: 'operate',
    summary: 'Start a run (parameters checked as by every door; optional run key with raise, ignore or replace)',
    body: workflowStartSchema,
    status: 201,
    returns: '{ workflow, runId, outcome }: 201 when started (or replaced), 200 when a running run holding the key was reused',
    async handle({ c, ctx, body }) {
      const b = body as StartBody;
      const name = c.req.param('name')!;
      const result = await startWorkflow(ctx.pool, ctx.schema, {
        name,
        params: b.params ?? {},
        ...(b.runKey !== undefined && { runKey: b.runKey }),
        ...(b.onConflict !== undefined && { onConflict: b.onConflict }),
      });
      return c.json({ workflow: name, ...result }, result.outcome === 'existing' ? 200 : 201);
    },
  },
  {
    method: 'get',
    path: '/workflow-runs',
    scope: 'read',
    summary: 'Runs, newest first, one keyset page at a time',
    query: RUN_LIST_PARAMETERS,
    returns: '{ runs: WorkflowRunSummary[], nextCursor: string | null }',
    async handle({ c, ctx }) {
      const { limit, ...filters } = parseRunListQuery(new URL(c.req.url).searchParams);
      const runs = await listWorkflowRuns(ctx.pool, ctx.schema, { ...filters, limit });
      return c.json({ runs, nextCursor: runs.length === limit ? runs[runs.length - 1]!.id : null });
    },
  },
  {
    method: 'get',
    path: '/workflow-runs/:id',
    scope: 'read',
    summary: 'One run with its steps (status, job, attempts, times, result, message)',
    returns: 'WorkflowRunDetail',
    async handle({ c, ctx }) {
      return c.json(await getWorkflowRun(ctx.pool, ctx.schema, c.req.param('id')!));
    },
  },
  {
    method: 'post',
    path: '/workflow-runs/:id/cancel',
    scope: 'operate',
    summary: 'Cancel a running run: steps not started are skipped, waiting step jobs cancelled, running ones signalled',
    returns: '{ runId, status, cancelled }',
    async handle({ c, ctx, principal }) {
      return c.json(await cancelWorkflowRun(ctx.pool, ctx.schema, c.req.param('id')!, operatorFor(principal)));
    },
  },
  {
    method: 'post',
    path: '/workflow-runs/:id/retry',
    scope: 'operate',
    summary: 'Run a failed or cancelled run again from its failed, cancelled and skipped steps (completed steps keep their results)',
    body: workflowRetrySchema,
    optionalBody: true,
    returns: '{ runId, steps }: the steps set to run again',
    async handle({ c, ctx, body }) {
      const fromStep = (body as { fromStep?: string } | undefined)?.fromStep;
      return c.json(await retryWorkflowRun(ctx.pool, ctx.schema, c.req.param('id')!, fromStep === undefined ? {} : { fromStep }));
    },
  },
];
