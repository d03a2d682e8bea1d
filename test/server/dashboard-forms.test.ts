import { enqueueJob, getJobDetail } from 'jobmaster';
import { expect, test } from 'vitest';
import { useServerFixture } from './server-setup.js';

const fx = useServerFixture('forms', { bulkCap: 50 });

const submit = async (path: string, form: Record<string, string | string[]>, as: 'operate' | 'read' = 'operate') => {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) for (const v of [value].flat()) body.append(name, v);
  return await fx.call('POST', path, {
    as,
    body: body.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
  });
};
const greet = async (name: string) =>
  (await enqueueJob(fx.db.pool, fx.db.schema, { typeKey: 'greetings', taskKey: 'greet', args: { name, polite: false } })).id;

test('bulk cancel of the selected jobs from the jobs page', async () => {
  const [a, b, c] = [await greet('sel-a'), await greet('sel-b'), await greet('sel-c')];
  const response = await submit('/jobs/bulk', { action: 'cancel-selected', id: [a, b] });
  expect(response.status).toBe(303);
  expect(new URL(response.headers.get('location')!, 'http://x').searchParams.get('notice')).toBe('Cancelled 2 of 2 jobs.');
  expect((await getJobDetail(fx.db.pool, fx.db.schema, a)).status).toBe('cancelled');
  expect((await getJobDetail(fx.db.pool, fx.db.schema, c)).status).toBe('waiting');
});

test('"cancel all matching" acts on the jobs the page showed, never on jobs that arrived after it rendered', async () => {
  const shown = [await greet('all-1'), await greet('all-2')];
  const page = await (
    await fx.call('GET', `/jobs?task=greetings.greet&args=${encodeURIComponent('{"polite":false}')}`, { as: 'operate' })
  ).text();
  const upToId = /name="upToId" value="(\d+)"/.exec(page)![1]!;
  expect(upToId).toBe(shown[1]);
  const late = await greet('all-late');
  const response = await submit('/jobs/bulk', {
    action: 'cancel-matching',
    task: 'greetings.greet',
    status: 'waiting',
    args: '{"polite":false}',
    upToId,
  });
  expect(response.status).toBe(303);
  for (const id of shown) expect((await getJobDetail(fx.db.pool, fx.db.schema, id)).status).toBe('cancelled');
  expect((await getJobDetail(fx.db.pool, fx.db.schema, late)).status).toBe('waiting');
});

test('bulk retry puts failed jobs back; a read token is refused and nothing changes', async () => {
  const id = await greet('retry-me');
  await submit('/jobs/bulk', { action: 'cancel-selected', id });
  expect((await submit('/jobs/bulk', { action: 'retry-selected', id }, 'read')).status).toBe(403);
  expect((await getJobDetail(fx.db.pool, fx.db.schema, id)).status).toBe('cancelled');
  expect((await submit('/jobs/bulk', { action: 'retry-selected', id })).status).toBe(303);
  expect((await getJobDetail(fx.db.pool, fx.db.schema, id)).status).toBe('waiting');
  expect((await submit('/jobs/bulk', { action: 'explode', id })).status).toBe(400);
  expect((await submit('/jobs/bulk', { action: 'retry-selected' })).status).toBe(400);
});

test('schedules pause and resume from their page', async () => {
  await fx.call('POST', '/api/v1/schedules', {
    as: 'operate',
    json: { name: 'forms-nightly', task: 'greetings.greet', cron: '0 3 * * *', args: { name: 'n' } },
  });
  expect((await submit('/schedules/forms-nightly/pause', {})).status).toBe(303);
  expect(await (await fx.call('GET', '/schedules', { as: 'operate' })).text()).toMatch(/forms-nightly[\s\S]*paused[\s\S]*Resume/);
  expect((await submit('/schedules/forms-nightly/resume', {}, 'read')).status).toBe(403);
});
