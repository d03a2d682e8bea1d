import {
  cancelJobs,
  enqueueJob,
  enqueueJobs,
  getJobDetail,
  listJobs,
  parseJobId,
  parseTaskName,
  retryJobs,
  snapshotJobIds,
  type JobRequest,
  type JobStatus,
  type JsonValue,
} from 'jobmaster';
import { bulkActionSchema, jobBatchSchema, jobRequestSchema } from './schemas.js';
import { filterFromBody, JOB_LIST_PARAMETERS, parseJobListQuery } from './job-filter-query.js';
import { operatorFor, type Endpoint, type EndpointCall } from './endpoint.js';

interface JobRequestBody {
  task: string;
  args?: Record<string, JsonValue>;
  priority?: number;
  runAt?: string;
  jobKey?: string;
  onConflict?: 'raise' | 'ignore' | 'replace';
}

function toRequest(body: JobRequestBody): JobRequest {
  const { typeKey, taskKey } = parseTaskName(body.task);
  return {
    typeKey,
    taskKey,
    ...(body.args !== undefined && { args: body.args }),
    ...(body.priority !== undefined && { priority: body.priority }),
    ...(body.runAt !== undefined && { runAt: new Date(body.runAt) }),
    ...(body.jobKey !== undefined && { jobKey: body.jobKey }),
    ...(body.onConflict !== undefined && { onConflict: body.onConflict }),
  };
}

interface BulkBody {
  ids?: string[];
  filter?: {
    task?: string;
    status?: JobStatus[];
    createdFrom?: string;
    createdTo?: string;
    args?: Record<string, JsonValue>;
    upToId?: string;
  };
}

/** The ids a bulk action acts on: those given, or a snapshot of the filter's matches taken now (at most the cap). */
async function bulkIds({ ctx, body }: EndpointCall): Promise<string[]> {
  const { ids, filter } = body as BulkBody;
  if (ids) return ids.map(parseJobId);
  return await snapshotJobIds(ctx.pool, ctx.schema, filterFromBody(filter!), ctx.bulkCap);
}

export const jobEndpoints: Endpoint[] = [
  {
    method: 'get',
    path: '/jobs',
    scope: 'read',
    summary: 'Jobs matching the filters, newest first, one keyset page at a time',
    query: JOB_LIST_PARAMETERS,
    returns: '{ jobs: JobSummary[], nextCursor: string | null }',
    async handle({ c, ctx }) {
      const { filter, before, limit } = parseJobListQuery(new URL(c.req.url).searchParams);
      return c.json(
        await listJobs(ctx.pool, ctx.schema, filter, { ...(before !== undefined && { before }), ...(limit !== undefined && { limit }) }),
      );
    },
  },
  {
    method: 'post',
    path: '/jobs',
    scope: 'operate',
    summary: 'Enqueue one job (the rules, dedupe and keys of every door)',
    body: jobRequestSchema,
    status: 201,
    returns: '{ id, inserted, outcome }: 201 when inserted, 200 when an identical or keyed job was reused',
    async handle({ c, ctx, body }) {
      const result = await enqueueJob(ctx.pool, ctx.schema, toRequest(body as JobRequestBody));
      return c.json(result, result.inserted ? 201 : 200);
    },
  },
  {
    method: 'post',
    path: '/jobs/batch',
    scope: 'operate',
    summary: 'Enqueue many jobs at once: all or none',
    body: jobBatchSchema,
    status: 201,
    returns: '{ results: { id, inserted, outcome }[] } in the order given',
    async handle({ c, ctx, body }) {
      const results = await enqueueJobs(ctx.pool, ctx.schema, (body as { jobs: JobRequestBody[] }).jobs.map(toRequest));
      return c.json({ results }, 201);
    },
  },
  {
    method: 'get',
    path: '/jobs/:id',
    scope: 'read',
    summary: 'One job: arguments, result, error, history, dependencies, spawner and spawned jobs',
    returns: 'JobDetail',
    async handle({ c, ctx }) {
      return c.json(await getJobDetail(ctx.pool, ctx.schema, c.req.param('id')!));
    },
  },
  {
    method: 'post',
    path: '/jobs/:id/cancel',
    scope: 'operate',
    summary: 'Cancel one job (a running one is asked to stop)',
    returns: 'CancelOutcome',
    async handle({ c, ctx, principal }) {
      const [outcome] = await cancelJobs(ctx.pool, ctx.schema, [parseJobId(c.req.param('id')!)], operatorFor(principal));
      return c.json(outcome);
    },
  },
  {
    method: 'post',
    path: '/jobs/:id/retry',
    scope: 'operate',
    summary: 'Put one failed or cancelled job back on the queue',
    returns: 'RetryOutcome',
    async handle({ c, ctx, principal }) {
      const [outcome] = await retryJobs(ctx.pool, ctx.schema, [parseJobId(c.req.param('id')!)], operatorFor(principal));
      return c.json(outcome);
    },
  },
  {
    method: 'post',
    path: '/jobs/cancel',
    scope: 'operate',
    summary: 'Cancel the given jobs, or the snapshot of those matching a filter (at most the cap; never jobs that arrive later)',
    body: bulkActionSchema,
    returns: '{ outcomes: CancelOutcome[] }',
    async handle(call) {
      const outcomes = await cancelJobs(call.ctx.pool, call.ctx.schema, await bulkIds(call), operatorFor(call.principal));
      return call.c.json({ outcomes });
    },
  },
  {
    method: 'post',
    path: '/jobs/retry',
    scope: 'operate',
    summary: 'Retry the given jobs, or the snapshot of those matching a filter (at most the cap; never jobs that arrive later)',
    body: bulkActionSchema,
    returns: '{ outcomes: RetryOutcome[] }',
    async handle(call) {
      const outcomes = await retryJobs(call.ctx.pool, call.ctx.schema, await bulkIds(call), operatorFor(call.principal));
      return call.c.json({ outcomes });
    },
  },
];
