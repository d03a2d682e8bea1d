import type { Context, Hono } from 'hono';
import {
  cancelJobs,
  countJobsUpTo,
  getJobDetail,
  getQueueStatus,
  getThroughput,
  listJobs,
  listRegisteredTasks,
  listSchedules,
  parseJobId,
  pauseSchedule,
  resumeSchedule,
  retryJobs,
  snapshotJobIds,
  verifyApiToken,
  type CancelOutcome,
  type RetryOutcome,
} from 'jobmaster';
import { operatorFor } from '../api/endpoint.js';
import { parseJobListQuery } from '../api/job-filter-query.js';
import { requireScope } from '../auth/authenticate.js';
import { isSameOrigin } from '../auth/same-origin.js';
import { clearedSessionCookie, sessionCookie } from '../auth/session-cookie.js';
import { ApiError } from '../http/api-error.js';
import { readFormBody } from '../http/read-body.js';
import type { ServerContext, ServerEnv } from '../server-env.js';
import { jobPage } from './job-page.js';
import { jobsPage } from './jobs-page.js';
import { loginPage } from './login-page.js';
import { overviewPage } from './overview-page.js';
import { schedulesPage } from './schedules-page.js';
import { tasksPage } from './tasks-page.js';

/** Finished jobs on the overview are counted over this window, so it reads the recent past, not the whole history. */
const OVERVIEW_WINDOW_MS = 24 * 3600 * 1000;

function requireSameOrigin(c: Context<ServerEnv>): void {
  if (!isSameOrigin(c.req.raw)) throw new ApiError(403, 'JM_CROSS_ORIGIN', 'Refused: this form must be sent from the dashboard itself');
}

function summarise(outcomes: (CancelOutcome | RetryOutcome)[], verb: string): string {
  const done = outcomes.filter((o) => o.outcome === 'cancelled' || o.outcome === 'cancel_requested' || o.outcome === 'retried').length;
  return `${verb} ${done} of ${outcomes.length} job${outcomes.length === 1 ? '' : 's'}${done < outcomes.length ? ' (the others were left alone: already finished, not retryable or a duplicate)' : ''}.`;
}

/** Mounts the dashboard's pages and forms. Every page needs a read token; every form an operate token and the same origin. */
export function registerPageRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  const base = ctx.basePath;
  const cookiePath = base || '/';
  const read = requireScope('read');
  const operate = requireScope('operate');

  if (base) app.get(base, (c) => c.redirect(`${base}/`, 301));

  app.get(`${base}/login`, (c) => c.html(loginPage(ctx)));
  app.post(`${base}/login`, async (c) => {
    requireSameOrigin(c);
    const token = ((await readFormBody(c.req.raw, ctx.bodyLimit)).get('token') ?? '').trim();
    const check = await verifyApiToken(ctx.pool, ctx.schema, token);
    if (!check.valid) {
      const problem = { unknown: 'That token is not valid.', expired: 'That token has expired.', revoked: 'That token has been revoked.' }[
        check.reason
      ];
      return c.html(loginPage(ctx, problem), 401);
    }
    c.header('Set-Cookie', sessionCookie(token, { path: cookiePath, secure: ctx.secureCookies, expiresAt: check.expiresAt }));
    return c.redirect(`${base}/`, 303);
  });
  app.post(`${base}/logout`, (c) => {
    requireSameOrigin(c);
    c.header('Set-Cookie', clearedSessionCookie({ path: cookiePath, secure: ctx.secureCookies }));
    return c.redirect(`${base}/login`, 303);
  });

  app.get(`${base}/`, read, async (c) => {
    const since = new Date(Date.now() - OVERVIEW_WINDOW_MS);
    const [status, throughput] = await Promise.all([
      getQueueStatus(ctx.pool, ctx.schema, { since }),
      getThroughput(ctx.pool, ctx.schema, 60),
    ]);
    return c.html(overviewPage(ctx, c.get('principal')!, status, throughput));
  });

  app.get(`${base}/jobs`, read, async (c) => {
    const query = new URL(c.req.url).searchParams;
    const notice = query.get('notice') ?? undefined;
    const listQuery = new URLSearchParams(query);
    listQuery.delete('notice');
    const { filter, before, limit } = parseJobListQuery(listQuery);
    const [page, count, tasks] = await Promise.all([
      listJobs(ctx.pool, ctx.schema, filter, { ...(before !== undefined && { before }), ...(limit !== undefined && { limit }) }),
      countJobsUpTo(ctx.pool, ctx.schema, filter),
      listRegisteredTasks(ctx.pool, ctx.schema),
    ]);
    return c.html(
      jobsPage(ctx, c.get('principal')!, { query: listQuery, page, count, tasks, bulkCap: ctx.bulkCap, ...(notice && { notice }) }),
    );
  });

  app.post(`${base}/jobs/bulk`, operate, async (c) => {
    requireSameOrigin(c);
    const form = await readFormBody(c.req.raw, ctx.bodyLimit);
    const action = form.get('action') ?? '';
    const back = new URLSearchParams();
    for (const name of ['task', 'status', 'from', 'to', 'args']) if (form.get(name)) back.set(name, form.get(name)!);
    let ids: string[];
    if (action.endsWith('-selected')) {
      ids = form.getAll('id').map(parseJobId);
      if (ids.length === 0) throw new ApiError(400, 'JM_INVALID_REQUEST', 'Select at least one job first');
    } else if (action.endsWith('-matching')) {
      const { filter } = parseJobListQuery(back);
      const upToId = form.get('upToId');
      ids = await snapshotJobIds(ctx.pool, ctx.schema, { ...filter, ...(upToId && { upToId }) }, ctx.bulkCap);
    } else {
      throw new ApiError(400, 'JM_INVALID_REQUEST', 'Unknown bulk action');
    }
    const operator = operatorFor(c.get('principal')!);
    const notice = action.startsWith('cancel')
      ? summarise(await cancelJobs(ctx.pool, ctx.schema, ids, operator), 'Cancelled')
      : action.startsWith('retry')
        ? summarise(await retryJobs(ctx.pool, ctx.schema, ids, operator), 'Retried')
        : undefined;
    if (notice === undefined) throw new ApiError(400, 'JM_INVALID_REQUEST', 'Unknown bulk action');
    back.set('notice', notice);
    return c.redirect(`${base}/jobs?${back.toString()}`, 303);
  });

  app.get(`${base}/jobs/:id`, read, async (c) => {
    const job = await getJobDetail(ctx.pool, ctx.schema, c.req.param('id'));
    return c.html(jobPage(ctx, c.get('principal')!, job, new URL(c.req.url).searchParams.get('notice') ?? undefined));
  });
  app.post(`${base}/jobs/:id/cancel`, operate, async (c) => {
    requireSameOrigin(c);
    const id = parseJobId(c.req.param('id'));
    const [outcome] = await cancelJobs(ctx.pool, ctx.schema, [id], operatorFor(c.get('principal')!));
    const notice =
      outcome?.outcome === 'cancel_requested'
        ? 'Cancel requested: its worker stops it at the next heartbeat.'
        : summarise(outcome ? [outcome] : [], 'Cancelled');
    return c.redirect(`${base}/jobs/${id}?notice=${encodeURIComponent(notice)}`, 303);
  });
  app.post(`${base}/jobs/:id/retry`, operate, async (c) => {
    requireSameOrigin(c);
    const id = parseJobId(c.req.param('id'));
    const [outcome] = await retryJobs(ctx.pool, ctx.schema, [id], operatorFor(c.get('principal')!));
    const notice =
      outcome?.outcome === 'duplicate'
        ? `An identical job is already waiting or running: job ${outcome.twinId}.`
        : summarise(outcome ? [outcome] : [], 'Retried');
    return c.redirect(`${base}/jobs/${id}?notice=${encodeURIComponent(notice)}`, 303);
  });

  app.get(`${base}/tasks`, read, async (c) => c.html(tasksPage(ctx, c.get('principal')!, await listRegisteredTasks(ctx.pool, ctx.schema))));

  app.get(`${base}/schedules`, read, async (c) =>
    c.html(schedulesPage(ctx, c.get('principal')!, await listSchedules(ctx.pool, ctx.schema))),
  );
  for (const change of ['pause', 'resume'] as const) {
    app.post(`${base}/schedules/:name/${change}`, operate, async (c) => {
      requireSameOrigin(c);
      await (change === 'pause' ? pauseSchedule : resumeSchedule)(ctx.pool, ctx.schema, c.req.param('name'));
      return c.redirect(`${base}/schedules`, 303);
    });
  }
}
