import { enqueueJob, getJobDetail, getQueueStatus, InvalidArgumentsError, JobKeyConflictError, UnknownTaskError } from 'jobmaster';
import { API_ENDPOINTS } from '@jobmaster/server';
import { expect, test } from 'vitest';
import { setStatus } from '../status/status-setup.js';
import { useServerFixture } from './server-setup.js';

const fx = useServerFixture('api', { bulkCap: 5 });

const enqueue = async (body: unknown, as: 'operate' | 'read' = 'operate') => await fx.call('POST', '/api/v1/jobs', { as, json: body });

test('enqueue through the API obeys the rules of every door: the same ids, dedupe, keys and messages', async () => {
  const first = await enqueue({ task: 'things1.foo', args: { file_path: '/tmp/api-a', number: 1 }, priority: 4 });
  expect(first.status).toBe(201);
  const created = (await first.json()) as { id: string; inserted: boolean; outcome: string };
  expect(created).toMatchObject({ inserted: true, outcome: 'inserted' });

  // An identical job while the first waits: no second row, the first's id, 200.
  const again = await enqueue({ task: 'things1.foo', args: { file_path: '/tmp/api-a', number: 1 } });
  expect(again.status).toBe(200);
  expect(await again.json()).toMatchObject({ id: created.id, inserted: false, outcome: 'identical' });

  // Refusals carry the SDK's own one-line messages.
  const sdkMessage = async (job: Parameters<typeof enqueueJob>[2]): Promise<string> =>
    await enqueueJob(fx.db.pool, fx.db.schema, job).then(
      () => 'accepted',
      (e: Error) => e.message,
    );
  const badValue = await enqueue({ task: 'things1.foo', args: { file_path: '/tmp/x', number: 7 } });
  expect(badValue.status).toBe(400);
  expect(await badValue.json()).toEqual({
    error: {
      code: new InvalidArgumentsError('').code,
      message: await sdkMessage({ typeKey: 'things1', taskKey: 'foo', args: { file_path: '/tmp/x', number: 7 } }),
    },
  });
  const unknown = await enqueue({ task: 'nope.missing', args: {} });
  expect(unknown.status).toBe(404);
  expect(await unknown.json()).toEqual({
    error: { code: new UnknownTaskError('a', 'b').code, message: await sdkMessage({ typeKey: 'nope', taskKey: 'missing' }) },
  });

  const keyed = { task: 'greetings.greet', args: { name: 'keyed' }, jobKey: 'only-one' };
  expect((await enqueue(keyed)).status).toBe(201);
  const conflict = await enqueue({ ...keyed, args: { name: 'other' } });
  expect(conflict.status).toBe(409);
  expect(((await conflict.json()) as { error: { code: string } }).error.code).toBe(new JobKeyConflictError('', '', '', '').code);
  const reused = await enqueue({ ...keyed, args: { name: 'other' }, onConflict: 'ignore' });
  expect(reused.status).toBe(200);
});

test('a batch is enqueued all or none, results in order', async () => {
  const ok = await fx.call('POST', '/api/v1/jobs/batch', {
    as: 'operate',
    json: {
      jobs: [
        { task: 'greetings.greet', args: { name: 'b1' } },
        { task: 'greetings.greet', args: { name: 'b2' }, priority: 2 },
      ],
    },
  });
  expect(ok.status).toBe(201);
  const { results } = (await ok.json()) as { results: { id: string; inserted: boolean }[] };
  expect(results.map((r) => r.inserted)).toEqual([true, true]);
  const before = await fx.sql<{ n: string }>('select count(*) as n from :s.jobs');
  const bad = await fx.call('POST', '/api/v1/jobs/batch', {
    as: 'operate',
    json: {
      jobs: [
        { task: 'greetings.greet', args: { name: 'b3' } },
        { task: 'greetings.greet', args: { nom: 'b4' } },
      ],
    },
  });
  expect(bad.status).toBe(400);
  expect(await fx.sql<{ n: string }>('select count(*) as n from :s.jobs')).toEqual(before);
});

test('jobs are listed by task, status, time range and argument containment, in keyset pages that never overlap', async () => {
  const ids: string[] = [];
  for (const region of ['eu', 'us', 'eu', 'eu', 'us']) {
    const response = await enqueue({ task: 'greetings.greet', args: { name: `list-${ids.length}-${region}`, polite: region === 'eu' } });
    ids.push(((await response.json()) as { id: string }).id);
  }
  const get = async (query: string) => {
    const response = await fx.call('GET', `/api/v1/jobs?${query}`, { as: 'read' });
    expect(response.status).toBe(200);
    return (await response.json()) as {
      jobs: { id: string; task: string; status: string; arguments: Record<string, unknown> }[];
      nextCursor: string | null;
    };
  };
  const polite = await get(`task=greetings.greet&args=${encodeURIComponent('{"polite":true}')}`);
  expect(polite.jobs.filter((j) => ids.includes(j.id)).map((j) => j.id)).toEqual([ids[3], ids[2], ids[0]]);
  expect(polite.jobs.every((j) => j.arguments.polite === true)).toBe(true);

  await setStatus(fx, ids[4]!, 'failed', { message: 'no' });
  const failed = await get('status=failed');
  expect(failed.jobs.map((j) => j.id)).toContain(ids[4]);
  expect(failed.jobs.every((j) => j.status === 'failed')).toBe(true);

  const future = await get(`from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
  expect(future.jobs).toEqual([]);

  // Walk every page of two: each id once, newest first, and the walk ends.
  const seen: string[] = [];
  let cursor: string | null = '';
  while (cursor !== null) {
    const page = await get(`limit=2${cursor ? `&before=${cursor}` : ''}`);
    expect(page.jobs.length).toBeLessThanOrEqual(2);
    seen.push(...page.jobs.map((j) => j.id));
    cursor = page.nextCursor;
  }
  const [count] = await fx.sql<{ n: string }>('select count(*) as n from :s.jobs');
  expect(seen).toHaveLength(Number(count!.n));
  expect(new Set(seen).size).toBe(seen.length);
  expect(seen.map(Number)).toEqual([...seen.map(Number)].sort((a, b) => b - a));
});

test('one job reads as getJobDetail; cancel and retry through the API are recorded with the token name', async () => {
  const id = ((await (await enqueue({ task: 'greetings.greet', args: { name: 'detail' } })).json()) as { id: string }).id;
  const detail = await fx.call('GET', `/api/v1/jobs/${id}`, { as: 'read' });
  expect(await detail.json()).toEqual(JSON.parse(JSON.stringify(await getJobDetail(fx.db.pool, fx.db.schema, id))));
  const missing = await fx.call('GET', '/api/v1/jobs/999999999', { as: 'read' });
  expect(missing.status).toBe(404);
  expect(await missing.json()).toEqual({ error: { code: 'JM_JOB_NOT_FOUND', message: 'No job with id 999999999' } });
  expect((await fx.call('GET', '/api/v1/jobs/abc', { as: 'read' })).status).toBe(400);

  const cancel = await fx.call('POST', `/api/v1/jobs/${id}/cancel`, { as: 'operate' });
  expect(await cancel.json()).toEqual({ id, status: 'cancelled', outcome: 'cancelled' });
  const retry = await fx.call('POST', `/api/v1/jobs/${id}/retry`, { as: 'operate' });
  expect(await retry.json()).toMatchObject({ id, status: 'waiting', outcome: 'retried' });
  const history = (await getJobDetail(fx.db.pool, fx.db.schema, id)).history;
  expect(history.slice(-2).map((h) => [h.status, h.node?.split('@')[0]])).toEqual([
    ['cancelled', 'token:operate-token'],
    ['waiting', 'token:operate-token'],
  ]);
});

test('a filtered bulk action acts on a snapshot: at most the cap, never jobs that arrive later', async () => {
  const make = async (n: number, polite = false) =>
    ((await (await enqueue({ task: 'greetings.greet', args: { name: `bulk-${n}`, polite } })).json()) as { id: string }).id;
  for (let n = 10; n < 16; n++) await make(n, true);
  const early = [await make(1), await make(2)];
  // More matches than the cap (5): refused, nothing changed.
  const many = await fx.call('POST', '/api/v1/jobs/cancel', {
    as: 'operate',
    json: { filter: { task: 'greetings.greet', status: ['waiting'] } },
  });
  expect(many.status).toBe(409);
  expect(((await many.json()) as { error: { message: string } }).error.message).toMatch(/More than 5 jobs match/);
  const upToId = early[1]!;
  const late = await make(3);
  const response = await fx.call('POST', '/api/v1/jobs/cancel', {
    as: 'operate',
    json: {
      filter: {
        task: 'greetings.greet',
        status: ['waiting'],
        args: { polite: false },
        createdFrom: new Date(Date.now() - 60_000).toISOString(),
        upToId,
      },
    },
  });
  const { outcomes } = (await response.json()) as { outcomes: { id: string; outcome: string }[] };
  expect(outcomes.map((o) => o.id)).toEqual(expect.arrayContaining(early));
  expect(outcomes.map((o) => o.id)).not.toContain(late);
  expect((await getJobDetail(fx.db.pool, fx.db.schema, late)).status).toBe('waiting');
});

test('the status summary is what jm status --output json prints', async () => {
  const api = (await (await fx.call('GET', '/api/v1/status', { as: 'read' })).json()) as Record<string, unknown>;
  const cli = await fx.jmJson<Record<string, unknown>>(['status']);
  const sdk = JSON.parse(
    JSON.stringify(await getQueueStatus(fx.db.pool, fx.db.schema, { since: new Date(Date.now() - 86_400_000) })),
  ) as Record<string, unknown>;
  // Each counts finished jobs of the last 24 hours, from its own clock reading.
  for (const value of [api, cli, sdk]) {
    expect(Date.now() - Date.parse((value.filters as { since: string }).since)).toBeGreaterThan(86_000_000);
    delete value.at;
    delete (value.filters as { since?: string }).since;
  }
  expect(api).toEqual(sdk);
  expect(api).toEqual(cli);
  expect((await fx.call('GET', '/api/v1/status?task=greetings.greet&status=waiting', { as: 'read' })).status).toBe(200);
  const all = (await (await fx.call('GET', '/api/v1/status?since=all', { as: 'read' })).json()) as { filters: { since: unknown } };
  expect(all.filters.since).toBeNull();
  expect((await fx.call('GET', '/api/v1/status?colour=red', { as: 'read' })).status).toBe(400);
});

test('schedules: add, list, pause, resume and remove', async () => {
  const add = await fx.call('POST', '/api/v1/schedules', {
    as: 'operate',
    json: { name: 'api-nightly', task: 'greetings.greet', cron: '0 3 * * *', args: { name: 'night' } },
  });
  expect(add.status).toBe(201);
  expect(await add.json()).toMatchObject({ name: 'api-nightly', source: 'runtime', paused: false });
  expect(
    (
      await fx.call('POST', '/api/v1/schedules', {
        as: 'operate',
        json: { name: 'api-nightly', task: 'greetings.greet', cron: '0 3 * * *', args: { name: 'x' } },
      })
    ).status,
  ).toBe(409);
  expect(
    (
      await fx.call('POST', '/api/v1/schedules', {
        as: 'operate',
        json: { name: 'api-bad', task: 'greetings.greet', cron: 'every day', args: { name: 'x' } },
      })
    ).status,
  ).toBe(400);
  expect(await (await fx.call('POST', '/api/v1/schedules/api-nightly/pause', { as: 'operate' })).json()).toMatchObject({ paused: true });
  expect(await (await fx.call('POST', '/api/v1/schedules/api-nightly/resume', { as: 'operate' })).json()).toMatchObject({ paused: false });
  const list = (await (await fx.call('GET', '/api/v1/schedules', { as: 'read' })).json()) as { schedules: { name: string }[] };
  expect(list.schedules.map((s) => s.name)).toContain('api-nightly');
  expect((await fx.call('DELETE', '/api/v1/schedules/api-nightly', { as: 'operate' })).status).toBe(200);
  expect((await fx.call('DELETE', '/api/v1/schedules/api-nightly', { as: 'operate' })).status).toBe(404);
});

test('tasks are listed with their signatures', async () => {
  const { tasks } = (await (await fx.call('GET', '/api/v1/tasks', { as: 'read' })).json()) as {
    tasks: { task: string; parameters: { name: string; selectFrom: unknown }[] }[];
  };
  const foo = tasks.find((t) => t.task === 'things1.foo')!;
  expect(foo.parameters.map((p) => p.name)).toEqual(['file_path', 'number']);
  expect(foo.parameters[1]!.selectFrom).toEqual([1, 2, 3]);
});

test('the OpenAPI 3.1 document lists every endpoint with its scope and body schema', async () => {
  const doc = (await (await fx.call('GET', '/api/v1/openapi.json', { as: 'read' })).json()) as {
    openapi: string;
    paths: Record<
      string,
      Record<
        string,
        { 'x-jobmaster-scope': string; requestBody?: { content: { 'application/json': { schema: { additionalProperties?: boolean } } } } }
      >
    >;
  };
  expect(doc.openapi).toBe('3.1.0');
  for (const e of API_ENDPOINTS) {
    const op = doc.paths[e.path.replace(/:([a-z]+)/g, '{$1}')]?.[e.method];
    expect(op?.['x-jobmaster-scope'], `${e.method} ${e.path}`).toBe(e.scope);
    if (e.body) expect(op?.requestBody?.content['application/json'].schema.additionalProperties).toBe(false);
  }
});

test('the event stream sends a job as it is created and as its status changes', async () => {
  const response = await fx.call('GET', '/api/v1/events', { as: 'read' });
  expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const readUntil = async (pattern: RegExp): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (!pattern.test(text)) {
      if (Date.now() > deadline) throw new Error(`no ${pattern} in ${text}`);
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      text += value;
    }
  };
  await readUntil(/event: ready/);
  const id = ((await (await enqueue({ task: 'greetings.greet', args: { name: 'streamed' } })).json()) as { id: string }).id;
  await readUntil(new RegExp(`"jobId":"${id}","task":"greetings.greet","status":"waiting"`));
  await fx.call('POST', `/api/v1/jobs/${id}/cancel`, { as: 'operate' });
  await readUntil(new RegExp(`"jobId":"${id}","task":"greetings.greet","status":"cancelled"`));
  await reader.cancel();
});
