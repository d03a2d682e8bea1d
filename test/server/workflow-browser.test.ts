/// <reference lib="dom" />
/**
 * The graph and workflow pages in a real Chromium (Debian's, driven by playwright-core): the
 * task graph and workflows as server-drawn SVG, a run started from its workflow's page and
 * followed live to completed while a worker runs it, cancel and retry from the run's page, and a
 * read-only token's view. The screenshots graph.png, workflows.png and workflow-run.png in
 * docs/screenshots/ are taken here with UPDATE_SCREENSHOTS=1.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cancelWorkflowRun, createApiToken, loadTaskModules, registry, runWorker, startWorkflow } from 'jobmaster';
import { createHandler, listen, type ListeningServer } from '@jobmaster/server';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium, screenshotsFolder } from '../support/chromium.js';
import { REPO_ROOT } from '../support/run-jm.js';
import { useStatusFixture } from '../status/status-setup.js';

const fx = useStatusFixture('wfbrowser');
const SCREENSHOTS = screenshotsFolder(REPO_ROOT);

let server: ListeningServer;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
const tokens = { operate: '', read: '' };
const policyViolations: string[] = [];

async function pacingTasks() {
  await loadTaskModules(['test/fixtures/server/pacing.ts'], { cwd: REPO_ROOT });
  return registry.definitions().filter((t) => t.typeKey === 'pacing');
}
const work = async () =>
  await runWorker({
    pool: fx.db.pool,
    schema: fx.db.schema,
    tasks: await pacingTasks(),
    untilEmpty: true,
    node: 'browser-node',
    concurrency: 4,
  });

async function signIn(token: string): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.fill('input[name="token"]', token);
  await page.click('button[type="submit"]');
  await page.waitForSelector('h1:text("Overview")');
}

/** Waits until the picture's box of `step` shows `state`. */
async function stepState(step: string, state: string, timeout = 30_000): Promise<void> {
  await page.waitForSelector(`svg.dag [data-node="${step}"].state-${state}`, { timeout });
}

beforeAll(async () => {
  const deployed = await fx.jm([
    'deploy',
    ...['--tasks', 'examples/*.ts', '--tasks', 'test/fixtures/server/pacing.ts'],
    ...['--workflows', 'examples/workflows/*.yaml', '--workflows', 'test/fixtures/server/naps.yaml'],
  ]);
  expect(deployed.stderr).toBe('');
  expect(deployed.code).toBe(0);
  tokens.operate = (await createApiToken(fx.db.pool, fx.db.schema, { name: 'ops-alice', scope: 'operate' })).token;
  tokens.read = (await createApiToken(fx.db.pool, fx.db.schema, { name: 'viewer-bob', scope: 'read' })).token;
  server = await listen(createHandler({ pool: fx.db.pool, schema: fx.db.schema, pollIntervalMs: 200 }), { port: 0, host: '127.0.0.1' });
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) policyViolations.push(message.text());
  });
  await signIn(tokens.operate);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('the graph page draws the task dependencies and every workflow as SVG; a task box opens the graph around it', async () => {
  await page.goto(`${server.url}/graph`);
  expect(await page.locator('svg.dag').count()).toBe(3); // the tasks, pipeline and naps
  const tasks = page.locator('svg.dag').first();
  expect(await tasks.locator('[data-node="nice_tasks.bar"] .dag-subtitle').textContent()).toBe('1 unit');
  expect(await tasks.locator('.dag-edge-label').allTextContents()).toContain('6h · number=10');
  expect(await tasks.locator('.dag-edge').count()).toBe(4); // two dependencies of reports.compare on reports.extract share an arrow
  expect(await page.locator('svg [style]').count()).toBe(0);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, 'graph.png'), fullPage: true });

  await tasks.locator('[data-node="nice_tasks.bar"] a').click();
  await page.waitForURL(/\/graph\?task=nice_tasks\.bar$/);
  expect(await page.textContent('h1')).toBe('Graph around nice_tasks.bar');
  const around = page.locator('svg.dag').first();
  expect((await around.locator('[data-node]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-node')))).sort()).toEqual([
    'nice_tasks.bar',
    'nice_tasks.baz',
    'nice_tasks.foo',
  ]);
  expect(await around.locator('[data-node="nice_tasks.bar"].focus').count()).toBe(1);
  expect(policyViolations).toEqual([]);
});

test('a run started from its workflow page goes to complete live, its steps coloured by state, while a worker runs it', async () => {
  await page.goto(`${server.url}/workflows/naps`);
  await page.fill('textarea[name="params"]', '{"ms": 1500}');
  await page.click('button:text("Start run")');
  await page.waitForSelector('.notice:text("Started run")');
  const runId = new URL(page.url()).pathname.split('/').pop()!;
  expect(await page.textContent('.notice')).toBe(`Started run ${runId}.`);
  await stepState('first', 'waiting');
  await stepState('last', 'pending');
  expect(await page.getAttribute('svg.dag [data-node="first"] a', 'href')).toMatch(/^\/jobs\/\d+$/);
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

  const worker = work();
  await stepState('first', 'running');
  await stepState('left', 'running');
  await stepState('first', 'complete', 5_000);
  await page.screenshot({ path: join(SCREENSHOTS, 'workflow-run.png'), fullPage: true });
  await page.waitForFunction((id) => document.querySelector(`[data-run-status="${id}"]`)?.textContent === 'complete', runId, {
    timeout: 60_000,
  });
  await worker;
  for (const step of ['first', 'left', 'right', 'last']) await stepState(step, 'complete', 5_000);
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  expect(await page.textContent('table.steps')).toContain('{"slept":1500}');
});

test('cancel and retry from the run page', async () => {
  const { runId } = await startWorkflow(fx.db.pool, fx.db.schema, { name: 'naps', params: { ms: 5 } });
  await page.goto(`${server.url}/workflow-runs/${runId}`);
  await page.click('button:text("Cancel run")');
  await page.waitForFunction((id) => document.querySelector(`[data-run-status="${id}"]`)?.textContent === 'cancelled', runId);
  await stepState('first', 'cancelled');
  await stepState('last', 'skipped');
  await page.click('button:text("Retry run")');
  await page.waitForSelector('.notice:text("Running again: first, left, right, last.")');
  await stepState('first', 'waiting');
  expect(await page.locator('button:text("Cancel run")').count()).toBe(1);
  await cancelWorkflowRun(fx.db.pool, fx.db.schema, runId);
});

test('the workflows page lists definitions as pictures and runs; a read-only token sees no buttons and is refused anyway', async () => {
  await page.goto(`${server.url}/workflows`);
  expect(await page.locator('section.workflow svg.dag').count()).toBe(2);
  expect(await page.locator('table.runs tbody tr').count()).toBe(2);
  await page.screenshot({ path: join(SCREENSHOTS, 'workflows.png'), fullPage: true });

  await page.click('button:text("Sign out")');
  await page.waitForSelector('h1:text("Sign in")');
  await signIn(tokens.read);
  const { runId } = await startWorkflow(fx.db.pool, fx.db.schema, { name: 'naps', params: { ms: 5 } });
  await page.goto(`${server.url}/workflows/naps`);
  expect(await page.locator('main button, main textarea').count()).toBe(0);
  await page.goto(`${server.url}/workflow-runs/${runId}`);
  await stepState('first', 'waiting');
  expect(await page.locator('main button').count()).toBe(0);
  const statuses = await page.evaluate(async (id) => {
    const post = async (path: string) =>
      (await fetch(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })).status;
    return [
      await post(`/workflow-runs/${id}/cancel`),
      await post('/workflows/naps/start'),
      await post(`/api/v1/workflow-runs/${id}/cancel`),
    ];
  }, runId);
  expect(statuses).toEqual([403, 403, 403]);
  expect((await fx.sql<{ status: string }>('select status from :s.workflow_runs where id = $1', [runId]))[0]!.status).toBe('running');
});
