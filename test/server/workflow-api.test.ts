// The workflow doors of the API: list and read definitions, start runs (the rules, messages
// and run keys of `jm workflow start`), list runs in keyset pages, read one with its steps,
// cancel and retry, and follow run state changes on the event stream. The graph endpoint too.
import { loadTaskModules, registry, runWorker, type TaskGraph, type WorkflowRunDetail } from 'jobmaster';
import { expect, test } from 'vitest';
import { REPO_ROOT } from '../support/run-jm.js';
import { useServerFixture } from './server-setup.js';

const fx = useServerFixture('wfapi');

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  return JSON.parse(text) as T;
}

const start = async (body: unknown, name = 'pipeline', as: 'operate' | 'read' = 'operate') =>
  await fx.call('POST', `/api/v1/workflows/${name}/runs`, { as, json: body });

async function drainPipeline(): Promise<void> {
  await loadTaskModules(['examples/pipeline.ts'], { cwd: REPO_ROOT });
  const tasks = registry.definitions().filter((t) => t.typeKey === 'pipeline');
  await runWorker({ pool: fx.db.pool, schema: fx.db.schema, tasks, untilEmpty: true, node: 'api-node' });
}

test('the deployed workflows are listed with their params and steps, and one by name', async () => {
  const { workflows } = await json<{ workflows: { name: string; params: unknown[]; steps: { id: string; task: string }[] }[] }>(
    await fx.call('GET', '/api/v1/workflows', { as: 'read' }),
    200,
  );
  expect(workflows.map((w) => w.name)).toEqual(['pipeline']);
  expect(workflows[0]!.steps.map((s) => `${s.id}:${s.task}`)).toEqual([
    'extract:pipeline.extract',
    'transform:pipeline.transform',
    'profile:pipeline.profile',
    'load:pipeline.load',
  ]);
  expect(await json(await fx.call('GET', '/api/v1/workflows/pipeline', { as: 'read' }), 200)).toEqual(workflows[0]);
  const missing = await json<{ error: { code: string; message: string } }>(
    await fx.call('GET', '/api/v1/workflows/nope', { as: 'read' }),
    404,
  );
  expect(missing.error.code).toBe('JM_UNKNOWN_WORKFLOW');
});

test('a start through the API refuses what jm workflow start refuses, with the same message, and writes nothing', async () => {
  const runs = async () => (await fx.sql<{ n: string }>('select count(*) as n from :s.workflow_runs'))[0]!.n;
  const before = await runs();
  for (const params of [{}, { day: 3 }, { day: '2026-12-03', extra: true }]) {
    const cli = await fx.jm(['workflow', 'start', 'pipeline', '--json', JSON.stringify(params)]);
    expect(cli.code).toBe(1);
    const api = await json<{ error: { code: string; message: string } }>(await start({ params }), 400);
    expect(`jm: ${api.error.message}\n`).toBe(cli.stderr);
  }
  const unknown = await json<{ error: { message: string } }>(await start({}, 'nope'), 404);
  expect(`jm: ${unknown.error.message}\n`).toBe((await fx.jm(['workflow', 'start', 'nope'])).stderr);
  const badBody = await json<{ error: { message: string } }>(await start({ params: {}, when: 'now' }), 400);
  expect(badBody.error.message).toBe('body has an unknown field "when"');
  expect(await runs()).toBe(before);
});

test('run keys: raise is a 409, ignore returns the running run, replace cancels it and starts anew', async () => {
  const params = { day: '2026-12-01' };
  const first = await json<{ runId: string; outcome: string }>(await start({ params, runKey: 'nightly' }), 201);
  expect(first.outcome).toBe('started');
  const held = await json<{ error: { code: string } }>(await start({ params, runKey: 'nightly' }), 409);
  expect(held.error.code).toBe('JM_WORKFLOW_RUN_KEY_CONFLICT');
  expect(await json(await start({ params, runKey: 'nightly', onConflict: 'ignore' }), 200)).toEqual({
    workflow: 'pipeline',
    runId: first.runId,
    outcome: 'existing',
  });
  const replaced = await json<{ runId: string; outcome: string }>(await start({ params, runKey: 'nightly', onConflict: 'replace' }), 201);
  expect(replaced.outcome).toBe('replaced');
  const old = await json<WorkflowRunDetail>(await fx.call('GET', `/api/v1/workflow-runs/${first.runId}`, { as: 'read' }), 200);
  expect(old.status).toBe('cancelled');
});

test('a started run is read back with its steps; runs are listed newest first in keyset pages, by workflow and status', async () => {
  const ids: string[] = [];
  for (const day of ['2026-11-01', '2026-11-02', '2026-11-03'])
    ids.push((await json<{ runId: string }>(await start({ params: { day } }), 201)).runId);
  const run = await json<WorkflowRunDetail>(await fx.call('GET', `/api/v1/workflow-runs/${ids[0]}`, { as: 'read' }), 200);
  expect(run).toMatchObject({ workflow: 'pipeline', status: 'running', params: { day: '2026-11-01', rate: 0.2 } });
  expect(run.stepList.map((s) => [s.id, s.status, s.jobStatus])).toEqual([
    ['extract', 'started', 'waiting'],
    ['transform', 'pending', null],
    ['profile', 'pending', null],
    ['load', 'pending', null],
  ]);

  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { runs: { id: string; status: string }[]; nextCursor: string | null } = await json(
      await fx.call('GET', `/api/v1/workflow-runs?workflow=pipeline&status=running&limit=2${cursor ? `&before=${cursor}` : ''}`, {
        as: 'read',
      }),
      200,
    );
    expect(page.runs.length).toBeLessThanOrEqual(2);
    expect(page.runs.every((r) => r.status === 'running')).toBe(true);
    seen.push(...page.runs.map((r) => r.id));
    cursor = page.nextCursor;
  } while (cursor);
  expect(seen).toEqual([...seen].sort((a, b) => Number(b) - Number(a)));
  expect(new Set(seen).size).toBe(seen.length);
  expect(seen).toEqual(expect.arrayContaining(ids));

  for (const [query, message] of [
    ['status=done', 'status must be one of running, complete, failed, cancelled, got "done"'],
    ['limit=0', 'limit must be an integer from 1 to 200, got "0"'],
    ['before=abc', 'A workflow run id must be a positive integer such as 42, got "abc"'],
    ['sort=id', 'Unknown query parameter "sort" (use workflow, status, before, limit)'],
  ]) {
    const bad = await json<{ error: { message: string } }>(await fx.call('GET', `/api/v1/workflow-runs?${query}`, { as: 'read' }), 400);
    expect(bad.error.message).toBe(message);
  }
  expect((await fx.call('GET', '/api/v1/workflow-runs/999999', { as: 'read' })).status).toBe(404);
});

test('cancel skips what has not started and records the token; retry runs the failed and skipped steps again', async () => {
  const { runId } = await json<{ runId: string }>(await start({ params: { day: '2026-10-01' } }), 201);
  const cancelled = await json(await fx.call('POST', `/api/v1/workflow-runs/${runId}/cancel`, { as: 'operate' }), 200);
  expect(cancelled).toEqual({ runId, status: 'cancelled', cancelled: true });
  const run = await json<WorkflowRunDetail>(await fx.call('GET', `/api/v1/workflow-runs/${runId}`, { as: 'read' }), 200);
  expect(run.stepList.map((s) => s.status)).toEqual(['cancelled', 'skipped', 'skipped', 'skipped']);
  const [event] = await fx.sql<{ node: string }>(`select node from :s.job_events where job_id = $1 and status = 'cancelled'`, [
    run.stepList[0]!.jobId,
  ]);
  expect(event!.node).toMatch(/^token:operate-token@/);
  expect(await json(await fx.call('POST', `/api/v1/workflow-runs/${runId}/cancel`, { as: 'operate' }), 200)).toEqual({
    runId,
    status: 'cancelled',
    cancelled: false,
  });

  const retried = await json(await fx.call('POST', `/api/v1/workflow-runs/${runId}/retry`, { as: 'operate' }), 200);
  expect(retried).toEqual({ runId, steps: ['extract', 'transform', 'profile', 'load'] });
  const again = await json<{ error: { message: string } }>(
    await fx.call('POST', `/api/v1/workflow-runs/${runId}/retry`, { as: 'operate', json: { fromStep: 'load' } }),
    400,
  );
  expect(again.error.message).toBe(`workflow run ${runId} is running: only a failed or cancelled run can be retried`);
  await drainPipeline();
  const done = await json<WorkflowRunDetail>(await fx.call('GET', `/api/v1/workflow-runs/${runId}`, { as: 'read' }), 200);
  expect(done.status).toBe('complete');
  expect(done.stepList[0]!.pastJobIds).toEqual([run.stepList[0]!.jobId]);
  // A complete run can be rerun from a step: that step and what is downstream of it.
  expect(
    await json(await fx.call('POST', `/api/v1/workflow-runs/${runId}/retry`, { as: 'operate', json: { fromStep: 'load' } }), 200),
  ).toEqual({
    runId,
    steps: ['load'],
  });
});

test('the event stream sends a run event for each change of a run: started, its steps, completed', async () => {
  const response = await fx.call('GET', '/api/v1/events', { as: 'read' });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const readUntil = async (pattern: RegExp): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (!pattern.test(text)) {
      if (Date.now() > deadline) throw new Error(`no ${pattern} in ${text}`);
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      text += value;
    }
  };
  await readUntil(/event: ready/);
  // Runs already running when the stream opened are not sent until they change (the handler polls every 100 ms here).
  expect(
    Number((await fx.sql<{ n: string }>(`select count(*) as n from :s.workflow_runs where status = 'running'`))[0]!.n),
  ).toBeGreaterThan(0);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const { runId } = await json<{ runId: string }>(await start({ params: { day: '2026-09-01' } }), 201);
  await readUntil(/event: run\n/);
  expect(text.match(/event: run\ndata: \{"runId":"(\d+)"/)![1]).toBe(runId);
  await readUntil(
    new RegExp(`event: run\\ndata: \\{"runId":"${runId}","workflow":"pipeline","status":"running","steps":\\{[^}]*"extract":"started"`),
  );
  await readUntil(new RegExp(`event: job\\ndata: \\{[^\\n]*"runId":"${runId}"`));
  await drainPipeline();
  await readUntil(
    new RegExp(
      `event: run\\ndata: \\{"runId":"${runId}","workflow":"pipeline","status":"complete","steps":\\{"load":"complete","extract":"complete","profile":"complete","transform":"complete"\\}`,
    ),
  );
  await reader.cancel();
});

test('GET /graph: the deployed graph as JSON, Mermaid or DOT, around one task, as jm graph --deployed prints it', async () => {
  const graph = await json<TaskGraph>(await fx.call('GET', '/api/v1/graph', { as: 'read' }), 200);
  const cli = await fx.jmJson<{ graph: TaskGraph }>(['graph', '--deployed']);
  expect(graph).toEqual(cli.graph);
  const mermaid = await fx.call('GET', '/api/v1/graph?format=mermaid&task=nice_tasks.bar', { as: 'read' });
  expect(mermaid.headers.get('content-type')).toMatch(/^text\/plain/);
  expect(await mermaid.text()).toBe((await fx.jm(['graph', '--deployed', '--task', 'nice_tasks.bar'])).stdout.trimEnd());
  expect((await fx.call('GET', '/api/v1/graph?format=dot&workflow=pipeline', { as: 'read' })).status).toBe(200);
  const unknown = await json<{ error: { code: string } }>(await fx.call('GET', '/api/v1/graph?task=x.y', { as: 'read' }), 404);
  expect(unknown.error.code).toBe('JM_UNKNOWN_TASK');
  expect((await fx.call('GET', '/api/v1/graph?format=png', { as: 'read' })).status).toBe(400);
});

test('the OpenAPI document carries the workflow endpoints with their request schemas', async () => {
  const doc = await json<{
    paths: Record<string, Record<string, { requestBody?: { required: boolean; content: Record<string, { schema: object }> } }>>;
  }>(await fx.call('GET', '/api/v1/openapi.json', { as: 'read' }), 200);
  for (const path of ['/workflows', '/workflows/{name}', '/workflow-runs', '/workflow-runs/{id}', '/graph'])
    expect(doc.paths[path]?.get).toBeDefined();
  const startBody = doc.paths['/workflows/{name}/runs']!.post!.requestBody!;
  expect(startBody.required).toBe(true);
  expect(startBody.content['application/json']!.schema).toMatchObject({
    properties: { params: {}, runKey: {}, onConflict: {} },
    additionalProperties: false,
  });
  expect(doc.paths['/workflow-runs/{id}/retry']!.post!.requestBody!.required).toBe(false);
  expect(doc.paths['/workflow-runs/{id}/cancel']!.post).toBeDefined();
});

test('hostile input to the workflow endpoints: wrong types, oversized keys and injection strings are 4xx and change nothing', async () => {
  const before = await fx.sql<{ runs: string; jobs: string }>(
    'select (select count(*) from :s.workflow_runs) as runs, (select count(*) from :s.jobs) as jobs',
  );
  const cases: [string, string, unknown, number, string][] = [
    ['POST', '/api/v1/workflows/pipeline/runs', { params: 'day=1' }, 400, 'body.params must be object'],
    [
      'POST',
      '/api/v1/workflows/pipeline/runs',
      { params: { day: 'x' }, runKey: 'k'.repeat(256) },
      400,
      'body.runKey must NOT have more than 255 characters',
    ],
    [
      'POST',
      '/api/v1/workflows/pipeline/runs',
      { params: { day: 'x' }, onConflict: 'merge' },
      400,
      'body.onConflict must be equal to one of the allowed values',
    ],
    ['POST', `/api/v1/workflows/${encodeURIComponent("pipeline'; drop table jobs; --")}/runs`, {}, 404, 'No workflow'],
    ['POST', '/api/v1/workflow-runs/1%3B%20drop%20table%20jobs/cancel', undefined, 400, 'A workflow run id must be a positive integer'],
    ['POST', '/api/v1/workflow-runs/1/retry', { fromStep: 7 }, 400, 'body.fromStep must be string'],
    ['GET', `/api/v1/workflow-runs?workflow=${encodeURIComponent("x' or '1'='1")}`, undefined, 200, '"runs":[]'],
  ];
  for (const [method, path, body, status, text] of cases) {
    const response = await fx.call(method, path, { as: 'operate', ...(body !== undefined && { json: body }) });
    const answer = await response.text();
    expect({ path, status: response.status }).toEqual({ path, status });
    expect(answer).toContain(text);
  }
  expect(await fx.sql('select (select count(*) from :s.workflow_runs) as runs, (select count(*) from :s.jobs) as jobs')).toEqual(before);
});
