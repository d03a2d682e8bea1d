import { enqueueJob } from 'jobmaster';
import { CONTENT_SECURITY_POLICY } from '@jobmaster/server';
import { expect, test } from 'vitest';
import { setStatus } from '../status/status-setup.js';
import { stateFingerprint, useServerFixture } from './server-setup.js';

const fx = useServerFixture('hostile', { bodyLimit: 2048 });

const post = async (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  await fx.call('POST', path, { as: 'admin', body, headers });

async function expectRefused(response: Response, status: number, message: RegExp): Promise<void> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  expect(body.error.message).toMatch(message);
  expect(body.error.message).not.toContain('\n');
}

test('malformed JSON, wrong types, unknown fields and a missing content type are refused with one line and change nothing', async () => {
  const before = await stateFingerprint(fx);
  await expectRefused(await post('/api/v1/jobs', '{"task": "things1.foo", '), 400, /^Request body is not valid JSON/);
  await expectRefused(await post('/api/v1/jobs', '[1,2]'), 400, /^body must be object/);
  await expectRefused(await post('/api/v1/jobs', '{"task": "things1.foo", "priority": "high"}'), 400, /^body\.priority must be integer/);
  await expectRefused(
    await post('/api/v1/jobs', '{"task": "things1.foo", "priority": 1e12}'),
    400,
    /^body\.priority must be <= 2147483647/,
  );
  await expectRefused(await post('/api/v1/jobs', '{"task": "things1.foo", "args": []}'), 400, /^body\.args must be object/);
  await expectRefused(await post('/api/v1/jobs', '{"task": "things1.foo", "sneaky": true}'), 400, /^body has an unknown field "sneaky"/);
  await expectRefused(await post('/api/v1/jobs', '{"task": "things1.foo", "runAt": "tomorrow"}'), 400, /^body\.runAt must match pattern/);
  await expectRefused(await post('/api/v1/jobs/cancel', '{"ids": ["1"], "filter": {}}'), 400, /^body must have exactly one of/);
  await expectRefused(await post('/api/v1/jobs/cancel', '{"ids": ["1; drop table jobs"]}'), 400, /^body\.ids\.0 must match pattern/);
  await expectRefused(
    await post('/api/v1/jobs', '{"task": "things1.foo"}', { 'content-type': 'text/plain' }),
    415,
    /Content-Type: application\/json/,
  );
  await expectRefused(
    await post('/api/v1/schedules', '{"name": "x", "task": "greetings.greet", "cron": "* * * * *", "paused": true}'),
    400,
    /unknown field "paused"/,
  );
  await expectRefused(
    await post('/api/v1/tokens', '{"name": "x", "scope": "root"}'),
    400,
    /^body\.scope must be equal to one of the allowed values/,
  );
  expect(await stateFingerprint(fx)).toBe(before);
});

test('a body past the configured limit gets a clear 413, whether its length is declared or streamed', async () => {
  const big = JSON.stringify({ task: 'things1.foo', args: { file_path: 'x'.repeat(4000), number: 1 } });
  await expectRefused(await post('/api/v1/jobs', big), 413, /larger than the limit of 2048 bytes/);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(500)));
      controller.close();
    },
  });
  const request = new Request('http://jm.test/api/v1/jobs', {
    method: 'POST',
    headers: { authorization: `Bearer ${fx.tokens.admin}`, 'content-type': 'application/json' },
    body: stream,
    duplex: 'half',
  } as RequestInit);
  await expectRefused(await fx.handler()(request), 413, /larger than the limit/);
});

test('injection strings in filters are values, never SQL', async () => {
  const hostile = ["x.'; drop table jobs; --", "things1.foo' or 1=1 --", '".x"}]) or true --'];
  for (const value of hostile) {
    const byTask = await fx.call('GET', `/api/v1/jobs?task=${encodeURIComponent(value)}`, { as: 'read' });
    expect(byTask.status).toBe(200);
    expect(await byTask.json()).toEqual({ jobs: [], nextCursor: null });
    const byArgs = await fx.call('GET', `/api/v1/jobs?args=${encodeURIComponent(JSON.stringify({ file_path: value }))}`, { as: 'read' });
    expect(await byArgs.json()).toEqual({ jobs: [], nextCursor: null });
    for (const [name, status] of [
      ['status', 400],
      ['from', 400],
      ['before', 400],
      ['limit', 400],
    ] as const) {
      expect((await fx.call('GET', `/api/v1/jobs?${name}=${encodeURIComponent(value)}`, { as: 'read' })).status).toBe(status);
    }
  }
  await expectRefused(
    await fx.call('GET', `/api/v1/jobs?task=${encodeURIComponent("'; drop table jobs; --")}`, { as: 'read' }),
    400,
    /must be written as type_key\.task_key/,
  );
  await expectRefused(await fx.call('GET', '/api/v1/jobs?args=not-json', { as: 'read' }), 400, /^args must be a JSON object/);
  await expectRefused(await fx.call('GET', '/api/v1/jobs?limit=0', { as: 'read' }), 400, /^limit must be a whole number from 1 to 500/);
  await expectRefused(await fx.call('GET', '/api/v1/jobs?order=id', { as: 'read' }), 400, /^Unknown query parameter "order"/);
  // The table is still there, and a filter for a real value still finds its job.
  const id = (
    await enqueueJob(fx.db.pool, fx.db.schema, { typeKey: 'things1', taskKey: 'foo', args: { file_path: hostile[0]!, number: 3 } })
  ).id;
  const found = await fx.call(
    'GET',
    `/api/v1/jobs?task=things1.foo&args=${encodeURIComponent(JSON.stringify({ file_path: hostile[0] }))}`,
    { as: 'read' },
  );
  expect(((await found.json()) as { jobs: { id: string }[] }).jobs.map((j) => j.id)).toEqual([id]);
});

const SCRIPT = '<script>alert("pwned")</script><img src=x onerror=alert(1)>';

test('arguments and error messages holding <script> or HTML are shown inertly on every page, under a CSP without inline scripts', async () => {
  const id = (await enqueueJob(fx.db.pool, fx.db.schema, { typeKey: 'things1', taskKey: 'foo', args: { file_path: SCRIPT, number: 1 } }))
    .id;
  await setStatus(fx, id, 'failed', { message: SCRIPT });
  await fx.sql(
    `update :s.jobs set error = jsonb_build_object('message', $2::text, 'stack', $2::text), result = to_jsonb($2::text) where id = $1`,
    [id, SCRIPT],
  );
  expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
  expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
  for (const path of [
    '/',
    '/jobs',
    `/jobs/${id}`,
    `/jobs?args=${encodeURIComponent(JSON.stringify({ file_path: SCRIPT }))}`,
    '/tasks',
    '/schedules',
  ]) {
    const response = await fx.call('GET', path, { as: 'operate' });
    expect(response.status, path).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const page = await response.text();
    expect(page, path).not.toContain('<script>alert');
    expect(page, path).not.toContain('<img src=x');
    // The only script element is the server's own file.
    expect(page.match(/<script\b[^>]*>/g), path).toEqual([expect.stringMatching(/^<script src="\/assets\/live\.js" defer>$/)]);
  }
  const job = await (await fx.call('GET', `/jobs/${id}`, { as: 'operate' })).text();
  expect(job).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
});

test('a state change made with the session cookie must come from the dashboard itself', async () => {
  const id = (
    await enqueueJob(fx.db.pool, fx.db.schema, { typeKey: 'greetings.greet'.split('.')[0]!, taskKey: 'greet', args: { name: 'csrf' } })
  ).id;
  const cookie = `jm_session=${fx.tokens.admin}`;
  const before = await stateFingerprint(fx);
  for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' }, {}] as Record<string, string>[]) {
    const api = await fx.handler()(
      new Request(`http://jm.test/api/v1/jobs/${id}/cancel`, { method: 'POST', headers: { cookie, ...headers } }),
    );
    expect(api.status).toBe(403);
    const page = await fx.handler()(new Request(`http://jm.test/jobs/${id}/cancel`, { method: 'POST', headers: { cookie, ...headers } }));
    expect(page.status).toBe(403);
  }
  expect(await stateFingerprint(fx)).toBe(before);
  // A page read with the cookie needs no origin; the same change from the dashboard's own origin works.
  expect((await fx.handler()(new Request('http://jm.test/jobs', { headers: { cookie } }))).status).toBe(200);
  const same = await fx.handler()(
    new Request(`http://jm.test/jobs/${id}/cancel`, { method: 'POST', headers: { cookie, 'sec-fetch-site': 'same-origin' } }),
  );
  expect(same.status).toBe(303);
});

test('signing in sets an HttpOnly, SameSite=Strict cookie; a bad token is refused', async () => {
  const form = (token: string) =>
    new Request('http://jm.test/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://jm.test' },
      body: new URLSearchParams({ token }).toString(),
    });
  const ok = await fx.handler()(form(fx.tokens.read!));
  expect(ok.status).toBe(303);
  expect(ok.headers.get('set-cookie')).toMatch(/^jm_session=jm_[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
  for (const bad of ['nope', fx.tokens.expired!, fx.tokens.revoked!]) {
    const refused = await fx.handler()(form(bad));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('set-cookie')).toBeNull();
  }
  // Without a session, pages send the browser to the sign-in form.
  const page = await fx.call('GET', '/jobs', { as: 'none' });
  expect(page.status).toBe(303);
  expect(page.headers.get('location')).toBe('/login');
});
