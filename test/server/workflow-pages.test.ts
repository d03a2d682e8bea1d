// The graph and workflow pages and their forms, called in-process: start, cancel and retry
// from the dashboard with the same rules as the API, refusals that change nothing, and user
// values (run keys, parameters, step messages) shown inertly.
import { getWorkflowRun, startWorkflow } from 'jobmaster';
import { expect, test } from 'vitest';
import { stateFingerprint, useServerFixture } from './server-setup.js';

const fx = useServerFixture('wfpages');

const submit = async (path: string, form: Record<string, string>, headers: Record<string, string> = { 'sec-fetch-site': 'same-origin' }) =>
  await fx.call('POST', path, {
    as: 'operate',
    body: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
const page = async (path: string, as: 'operate' | 'read' = 'operate') => {
  const response = await fx.call('GET', path, { as });
  return { status: response.status, text: await response.text() };
};
const notice = (response: Response) => new URL(response.headers.get('location')!, 'http://x').searchParams.get('notice');

test('the start form starts a run with its parameters and run key, and lands on the run page', async () => {
  const response = await submit('/workflows/pipeline/start', {
    params: '{"day": "2026-12-03"}',
    runKey: '<b>key</b>',
    onConflict: 'raise',
  });
  expect(response.status).toBe(303);
  const location = new URL(response.headers.get('location')!, 'http://x');
  const runId = location.pathname.split('/').pop()!;
  expect(location.pathname).toBe(`/workflow-runs/${runId}`);
  expect(notice(response)).toBe(`Started run ${runId}.`);
  expect(await getWorkflowRun(fx.db.pool, fx.db.schema, runId)).toMatchObject({
    runKey: '<b>key</b>',
    params: { day: '2026-12-03', rate: 0.2 },
  });
  const again = await submit('/workflows/pipeline/start', { params: '{"day": "2026-12-03"}', runKey: '<b>key</b>', onConflict: 'ignore' });
  expect(new URL(again.headers.get('location')!, 'http://x').pathname).toBe(`/workflow-runs/${runId}`);

  const shown = await page(`/workflow-runs/${runId}`);
  expect(shown.status).toBe(200);
  expect(shown.text).toContain('&lt;b&gt;key&lt;/b&gt;');
  expect(shown.text).not.toContain('<b>key</b>');
  expect(shown.text).toMatch(/<svg[^>]*class="dag"[\s\S]*class="dag-node state-waiting" data-node="extract"[\s\S]*<\/svg>/);
  expect(shown.text).toContain('Cancel run');
});

test('a refused start (bad JSON, bad parameters, a held key, another origin) answers with the message and writes nothing', async () => {
  await startWorkflow(fx.db.pool, fx.db.schema, { name: 'pipeline', params: { day: 'held' }, runKey: 'held' });
  const before = await stateFingerprint(fx);
  const cases: [Record<string, string>, number, string][] = [
    [{ params: '{day' }, 400, 'workflow &quot;pipeline&quot;: params is not valid JSON'],
    [{ params: '{"dayz": 1}' }, 400, 'unknown parameter'],
    [{ params: '{"day": "x"}', runKey: 'held' }, 409, 'is already running'],
    [{ params: '{"day": "x"}', onConflict: 'explode' }, 400, 'onConflict must be raise, ignore or replace'],
  ];
  for (const [form, status, text] of cases) {
    const response = await submit('/workflows/pipeline/start', form);
    expect(response.status).toBe(status);
    expect(await response.text()).toContain(text);
  }
  expect((await submit('/workflows/pipeline/start', { params: '{"day": "x"}' }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
  expect((await submit('/workflows/nope/start', {})).status).toBe(404);
  expect(await stateFingerprint(fx)).toBe(before);
});

test('cancel and retry from the run page, with a notice saying what happened', async () => {
  const { runId } = await startWorkflow(fx.db.pool, fx.db.schema, { name: 'pipeline', params: { day: 'cancel-me' } });
  const cancelled = await submit(`/workflow-runs/${runId}/cancel`, {});
  expect(notice(cancelled)).toBe('Cancelled: steps not started are skipped; running steps stop at their next heartbeat.');
  expect(notice(await submit(`/workflow-runs/${runId}/cancel`, {}))).toBe('The run had already ended (cancelled).');
  const shown = await page(`/workflow-runs/${runId}`);
  expect(shown.text).toContain('Retry run');
  expect(shown.text).not.toContain('Cancel run');
  expect(shown.text).toContain('class="dag-node state-skipped" data-node="load"');
  const retried = await submit(`/workflow-runs/${runId}/retry`, { fromStep: '' });
  expect(notice(retried)).toBe('Running again: extract, transform, profile, load.');
  expect((await getWorkflowRun(fx.db.pool, fx.db.schema, runId)).status).toBe('running');
  expect((await submit(`/workflow-runs/abc/cancel`, {})).status).toBe(400);
});

test('a read token sees the pictures but no start form, cancel or retry', async () => {
  const { runId } = await startWorkflow(fx.db.pool, fx.db.schema, { name: 'pipeline', params: { day: 'read-only' } });
  for (const path of ['/graph', '/workflows', '/workflows/pipeline', `/workflow-runs/${runId}`]) {
    const shown = await page(path, 'read');
    expect(shown.status).toBe(200);
    expect(shown.text).toContain('<svg');
    expect(shown.text).not.toMatch(/<form method="post" action="[^"]*(start|cancel|retry)"/);
  }
  expect((await page('/graph?task=nope.nope', 'read')).status).toBe(404);
  expect((await page('/workflows?status=done', 'read')).status).toBe(400);
  expect((await page('/workflows/nope', 'read')).status).toBe(404);
  expect((await page('/workflow-runs/999999', 'read')).status).toBe(404);
});
