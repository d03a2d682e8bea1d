import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiToken } from 'jobmaster';
import { createHandler, getRequestListener } from '@jobmaster/server';
import { afterAll, expect, test } from 'vitest';
import { useStatusFixture } from '../status/status-setup.js';

const fx = useStatusFixture('mount');

test('mounted under a base path in a node:http app, as the README shows, everything lives under that path', async () => {
  const token = (await createApiToken(fx.db.pool, fx.db.schema, { name: 'mounted', scope: 'read' })).token;
  const jobmaster = createHandler({ pool: fx.db.pool, schema: fx.db.schema, basePath: '/jobmaster' });
  const listener = getRequestListener(jobmaster);
  const app = createServer((req, res) =>
    req.url?.startsWith('/jobmaster') ? void listener(req, res) : res.writeHead(418).end('host app'),
  );
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  afterAll(() => {
    jobmaster.close();
    app.close();
  });
  const base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  const auth = { authorization: `Bearer ${token}` };
  expect((await fetch(`${base}/elsewhere`)).status).toBe(418);
  expect(await (await fetch(`${base}/jobmaster/healthz`)).json()).toEqual({ ok: true });
  const tasks = await fetch(`${base}/jobmaster/api/v1/tasks`, { headers: auth });
  expect(tasks.status).toBe(200);
  const doc = (await (await fetch(`${base}/jobmaster/api/v1/openapi.json`, { headers: auth })).json()) as { servers: { url: string }[] };
  expect(doc.servers[0]!.url).toBe(`${base}/jobmaster/api/v1`);
  const page = await (await fetch(`${base}/jobmaster/`, { headers: auth })).text();
  expect(page).toContain('href="/jobmaster/assets/style.css"');
  expect(page).toContain('data-events="/jobmaster/api/v1/events"');
  expect(page).toContain('href="/jobmaster/jobs"');
  expect((await fetch(`${base}/jobmaster/assets/live.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
  const signIn = await fetch(`${base}/jobmaster/jobs`, { redirect: 'manual' });
  expect(signIn.headers.get('location')).toBe('/jobmaster/login');
});
