import { addSchedule, cancelWorkflowRun, createApiToken, enqueueJob, scopeAllows, startWorkflow, type TokenScope } from 'jobmaster';
import { API_ENDPOINTS } from '@jobmaster/server';
import { describe, expect, test } from 'vitest';
import { setStatus } from '../status/status-setup.js';
import { CREDENTIALS, stateFingerprint, useServerFixture, type Credential } from './server-setup.js';

const fx = useServerFixture('auth');

let counter = 0;
const fresh = (): number => ++counter;

async function waitingJob(): Promise<string> {
  return (
    await enqueueJob(fx.db.pool, fx.db.schema, {
      typeKey: 'things1',
      taskKey: 'foo',
      args: { file_path: `/tmp/auth-${fresh()}`, number: 1 },
    })
  ).id;
}
async function failedJob(): Promise<{ id: string; path: string }> {
  const path = `/tmp/auth-${fresh()}`;
  const id = (await enqueueJob(fx.db.pool, fx.db.schema, { typeKey: 'things1', taskKey: 'foo', args: { file_path: path, number: 2 } })).id;
  await setStatus(fx, id, 'failed', { message: 'boom' });
  return { id, path };
}
async function schedule(): Promise<string> {
  const name = `auth-schedule-${fresh()}`;
  await addSchedule(fx.db.pool, fx.db.schema, { name, typeKey: 'greetings', taskKey: 'greet', args: { name: 'x' }, cron: '0 3 * * *' });
  return name;
}

async function runningRun(): Promise<string> {
  return (await startWorkflow(fx.db.pool, fx.db.schema, { name: 'pipeline', params: { day: `auth-${fresh()}` } })).runId;
}
async function cancelledRun(): Promise<string> {
  const id = await runningRun();
  await cancelWorkflowRun(fx.db.pool, fx.db.schema, id);
  return id;
}

/** A request each endpoint accepts, built afresh (with its own job, schedule or token) for every call. */
const requests: Record<string, () => Promise<{ path: string; json?: unknown }>> = {
  'get /status': async () => ({ path: '/status' }),
  'get /tasks': async () => ({ path: '/tasks' }),
  'get /events': async () => ({ path: '/events' }),
  'get /jobs': async () => ({ path: '/jobs?status=waiting&limit=5' }),
  'post /jobs': async () => ({ path: '/jobs', json: { task: 'things1.foo', args: { file_path: `/tmp/auth-${fresh()}`, number: 3 } } }),
  'post /jobs/batch': async () => ({
    path: '/jobs/batch',
    json: {
      jobs: [
        { task: 'things1.foo', args: { file_path: `/tmp/auth-${fresh()}`, number: 3 } },
        { task: 'greetings.greet', args: { name: `n${fresh()}` } },
      ],
    },
  }),
  'get /jobs/:id': async () => ({ path: `/jobs/${await waitingJob()}` }),
  'post /jobs/:id/cancel': async () => ({ path: `/jobs/${await waitingJob()}/cancel` }),
  'post /jobs/:id/retry': async () => ({ path: `/jobs/${(await failedJob()).id}/retry` }),
  'post /jobs/cancel': async () => ({ path: '/jobs/cancel', json: { ids: [await waitingJob(), await waitingJob()] } }),
  'post /jobs/retry': async () => ({
    path: '/jobs/retry',
    json: { filter: { task: 'things1.foo', status: ['failed'], args: { file_path: (await failedJob()).path } } },
  }),
  'get /schedules': async () => ({ path: '/schedules' }),
  'post /schedules': async () => ({
    path: '/schedules',
    json: { name: `auth-new-${fresh()}`, task: 'greetings.greet', cron: '*/5 * * * *', args: { name: 'y' } },
  }),
  'post /schedules/:name/pause': async () => ({ path: `/schedules/${await schedule()}/pause` }),
  'post /schedules/:name/resume': async () => ({ path: `/schedules/${await schedule()}/resume` }),
  'delete /schedules/:name': async () => ({ path: `/schedules/${await schedule()}` }),
  'get /tokens': async () => ({ path: '/tokens' }),
  'post /tokens': async () => ({ path: '/tokens', json: { name: `auth-made-${fresh()}`, scope: 'read', expires: '1d' } }),
  'delete /tokens/:name': async () => {
    const name = `auth-doomed-${fresh()}`;
    await createApiToken(fx.db.pool, fx.db.schema, { name, scope: 'read' });
    return { path: `/tokens/${name}` };
  },
  'get /workflows': async () => ({ path: '/workflows' }),
  'get /workflows/:name': async () => ({ path: '/workflows/pipeline' }),
  'post /workflows/:name/runs': async () => ({ path: '/workflows/pipeline/runs', json: { params: { day: `auth-${fresh()}` } } }),
  'get /workflow-runs': async () => ({ path: '/workflow-runs?workflow=pipeline&limit=5' }),
  'get /workflow-runs/:id': async () => ({ path: `/workflow-runs/${await runningRun()}` }),
  'post /workflow-runs/:id/cancel': async () => ({ path: `/workflow-runs/${await runningRun()}/cancel` }),
  'post /workflow-runs/:id/retry': async () => ({ path: `/workflow-runs/${await cancelledRun()}/retry` }),
  'get /graph': async () => ({ path: '/graph?format=mermaid' }),
};

const endpoints = [
  ...API_ENDPOINTS.map((e) => ({ key: `${e.method} ${e.path}`, method: e.method, scope: e.scope, status: e.status ?? 200 })),
  { key: 'get /openapi.json', method: 'get' as const, scope: 'read' as TokenScope, status: 200 },
];
requests['get /openapi.json'] = async () => ({ path: '/openapi.json' });

function expected(credential: Credential, scope: TokenScope, success: number): number {
  if (credential === 'none' || credential === 'wrong' || credential === 'expired' || credential === 'revoked') return 401;
  return scopeAllows(credential, scope) ? success : 403;
}

test('every endpoint of the API has a request in this matrix', () => {
  expect(Object.keys(requests).sort()).toEqual(endpoints.map((e) => e.key).sort());
});

describe.each(endpoints)('$key (needs $scope)', (endpoint) => {
  test.each(CREDENTIALS)('as %s', async (credential) => {
    const request = await requests[endpoint.key]!();
    const before = await stateFingerprint(fx);
    const response = await fx.call(endpoint.method.toUpperCase(), `/api/v1${request.path}`, {
      as: credential,
      ...(request.json !== undefined && { json: request.json }),
    });
    const want = expected(credential, endpoint.scope, endpoint.status);
    const text =
      endpoint.key === 'get /events' && response.status === 200 ? await response.body?.cancel().then(() => '') : await response.text();
    expect({ status: response.status, text }).toMatchObject({ status: want });
    if (want >= 400) {
      expect(JSON.parse(text!)).toMatchObject({ error: { code: want === 401 ? 'JM_UNAUTHENTICATED' : 'JM_FORBIDDEN' } });
      expect(await stateFingerprint(fx)).toBe(before);
    }
  });
});

test('a refused action through the dashboard changes nothing either: a read token cannot cancel from the job page', async () => {
  const id = await waitingJob();
  const before = await stateFingerprint(fx);
  const response = await fx.call('POST', `/jobs/${id}/cancel`, { as: 'read', headers: { 'sec-fetch-site': 'same-origin' } });
  expect(response.status).toBe(403);
  expect(await stateFingerprint(fx)).toBe(before);
});

test('a refused workflow action through the dashboard changes nothing: a read token cannot start, cancel or retry runs', async () => {
  const running = await runningRun();
  const cancelled = await cancelledRun();
  const before = await stateFingerprint(fx);
  const form = { 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' };
  for (const path of ['/workflows/pipeline/start', `/workflow-runs/${running}/cancel`, `/workflow-runs/${cancelled}/retry`]) {
    const response = await fx.call('POST', path, { as: 'read', headers: form, body: 'params=%7B%22day%22%3A%22x%22%7D' });
    expect(response.status).toBe(403);
  }
  expect(await stateFingerprint(fx)).toBe(before);
});

test('/healthz needs no token', async () => {
  const response = await fx.call('GET', '/healthz', { as: 'none' });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ ok: true });
});
