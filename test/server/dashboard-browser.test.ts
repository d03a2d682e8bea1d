/// <reference lib="dom" />
/**
 * The dashboard in a real Chromium (Debian's, driven by playwright-core): sign in, follow a
 * job live, cancel and retry from its page, a read-only token's view. The pages' screenshots
 * in docs/screenshots/ (shown in the README) are taken here with UPDATE_SCREENSHOTS=1.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { addSchedule, createApiToken, enqueueJob, loadTaskModules, registry, runWorker } from 'jobmaster';
import { createHandler, listen, type ListeningServer } from '@jobmaster/server';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium, screenshotsFolder } from '../support/chromium.js';
import { REPO_ROOT } from '../support/run-jm.js';
import { useStatusFixture } from '../status/status-setup.js';

const fx = useStatusFixture('browser');
const SCREENSHOTS = screenshotsFolder(REPO_ROOT);

let server: ListeningServer;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
const tokens = { operate: '', read: '' };

async function pacingTasks() {
  await loadTaskModules(['test/fixtures/server/pacing.ts'], { cwd: REPO_ROOT });
  return registry.definitions().filter((t) => t.typeKey === 'pacing');
}
const work = async () =>
  await runWorker({ pool: fx.db.pool, schema: fx.db.schema, tasks: await pacingTasks(), untilEmpty: true, node: 'browser-node' });
const enqueue = async (typeKey: string, taskKey: string, args: Record<string, string | number | boolean>) =>
  (await enqueueJob(fx.db.pool, fx.db.schema, { typeKey, taskKey, args })).id;

async function signIn(token: string): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.fill('input[name="token"]', token);
  await page.click('button[type="submit"]');
  await page.waitForSelector('h1:text("Overview")');
}

/** Waits until the job's status badge in the page says `status`. */
async function badge(id: string, status: string): Promise<void> {
  await page.waitForFunction(
    ([jobId, want]) => document.querySelector(`h1 [data-job-status="${jobId}"]`)?.textContent === want,
    [id, status] as const,
    { timeout: 30_000 },
  );
}

beforeAll(async () => {
  const deployed = await fx.jm(['deploy', '--tasks', 'examples/*.ts', '--tasks', 'test/fixtures/server/pacing.ts']);
  expect(deployed.code).toBe(0);
  tokens.operate = (await createApiToken(fx.db.pool, fx.db.schema, { name: 'ops-alice', scope: 'operate' })).token;
  tokens.read = (await createApiToken(fx.db.pool, fx.db.schema, { name: 'viewer-bob', scope: 'read' })).token;
  server = await listen(createHandler({ pool: fx.db.pool, schema: fx.db.schema, pollIntervalMs: 200 }), { port: 0, host: '127.0.0.1' });
  browser = await launchChromium();
  page = await browser.context.newPage();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('signing in with a token opens the overview; a wrong token is refused', async () => {
  await page.goto(`${server.url}/`);
  expect(new URL(page.url()).pathname).toBe('/login');
  await page.fill('input[name="token"]', 'jm_not-a-real-token');
  await page.click('button[type="submit"]');
  await expect.poll(() => page.textContent('.error-message')).toBe('That token is not valid.');
  await signIn(tokens.operate);
  expect(await page.textContent('.signed-in')).toContain('ops-alice');
  const cookies = await browser.context.cookies();
  expect(cookies.find((c) => c.name === 'jm_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
});

test('a job goes from waiting to running to complete on its page without reloading', async () => {
  const id = await enqueue('pacing', 'nap', { ms: 3000 });
  await page.goto(`${server.url}/jobs/${id}`);
  await badge(id, 'waiting');
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  const worker = work();
  await badge(id, 'running');
  await badge(id, 'complete');
  await worker;
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  expect(await page.textContent('main')).toContain('"slept": 3000');
});

test('cancel and retry from the job page, recorded with the token name', async () => {
  const id = await enqueue('pacing', 'nap', { ms: 1 });
  await page.goto(`${server.url}/jobs/${id}`);
  await page.click('button:text("Cancel job")');
  await badge(id, 'cancelled');
  expect(await page.textContent('.timeline')).toContain('token:ops-alice@');
  await page.click('button:text("Retry job")');
  await badge(id, 'waiting');
  expect(await page.locator('button:text("Retry job")').count()).toBe(0);
  expect(await page.locator('button:text("Cancel job")').count()).toBe(1);
});

test('screenshots of every page, with jobs in every state', async () => {
  await enqueue('pacing', 'fail', { message: 'Upstream <b>report</b> service returned 503' });
  for (const ms of [5, 10, 15, 20]) await enqueue('pacing', 'nap', { ms });
  await enqueue('greetings', 'greet', { name: '<script>alert(1)</script>' });
  await work();
  await enqueue('things1', 'foo', { file_path: '/tmp/report.txt', number: 2 });
  await addSchedule(fx.db.pool, fx.db.schema, {
    name: 'nightly-greeting',
    typeKey: 'greetings',
    taskKey: 'greet',
    args: { name: 'night shift' },
    cron: '0 3 * * *',
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const shots: [string, string][] = [
    ['/', 'overview.png'],
    ['/jobs', 'jobs.png'],
    ['/tasks', 'tasks.png'],
    ['/schedules', 'schedules.png'],
  ];
  for (const [path, file] of shots) {
    await page.goto(`${server.url}${path}`);
    await page.screenshot({ path: join(SCREENSHOTS, file), fullPage: true });
  }
  const [failed] = await fx.sql<{ id: string }>(`select id from :s.jobs where task_key = 'fail' order by id desc limit 1`);
  await page.goto(`${server.url}/jobs/${failed!.id}`);
  expect(await page.textContent('.error-message')).toBe('Upstream <b>report</b> service returned 503');
  await page.screenshot({ path: join(SCREENSHOTS, 'job.png'), fullPage: true });
  // The <script> in a job's arguments is text on the page, not a script that ran.
  await page.goto(`${server.url}/jobs?task=greetings.greet`);
  expect(await page.textContent('table.jobs')).toContain('<script>alert(1)</script>');
  expect(await page.locator('table.jobs script').count()).toBe(0);
});

test('a read-only token sees no action buttons, and the server refuses its actions anyway', async () => {
  await page.click('button:text("Sign out")');
  await page.waitForSelector('h1:text("Sign in")');
  await signIn(tokens.read);
  const id = await enqueue('pacing', 'nap', { ms: 1 });
  await page.goto(`${server.url}/jobs/${id}`);
  await badge(id, 'waiting');
  expect(await page.locator('main button').count()).toBe(0);
  await page.goto(`${server.url}/jobs`);
  expect(await page.locator('main button:text("Retry")').count()).toBe(0);
  expect(await page.locator('input[type="checkbox"]').count()).toBe(0);
  await page.goto(`${server.url}/schedules`);
  expect(await page.locator('main button').count()).toBe(0);
  // The same form post a button would send, from the dashboard's own origin: refused.
  const status = await page.evaluate(async (jobId) => (await fetch(`/jobs/${jobId}/cancel`, { method: 'POST' })).status, id);
  expect(status).toBe(403);
  const api = await page.evaluate(async (jobId) => (await fetch(`/api/v1/jobs/${jobId}/cancel`, { method: 'POST' })).status, id);
  expect(api).toBe(403);
  expect((await fx.sql<{ status: string }>('select status from :s.jobs where id = $1', [id]))[0]!.status).toBe('waiting');
});
