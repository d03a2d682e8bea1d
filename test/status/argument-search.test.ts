// An argument search (`args`) has no index to use, so each page reads a bounded window of job
// ids instead of the whole table: a rare match far down is reached page by page, never by one
// request that reads a million rows.
import { ARGUMENT_SEARCH_WINDOW, countJobsUpTo, listJobs } from 'jobmaster';
import { beforeAll, expect, test } from 'vitest';
import { useStatusFixture } from './status-setup.js';

const fx = useStatusFixture('argsearch');
const total = ARGUMENT_SEARCH_WINDOW + 20_000;

beforeAll(async () => {
  // Jobs of one task, {"n": g}; the one with {"n": 0, "rare": true} is the oldest.
  await fx.sql(
    `insert into :s.jobs (type_key, task_key, arguments, process_units, max_attempts, status, finished_at)
     select 'greetings', 'greet', case when g = 0 then '{"n": 0, "rare": true}'::jsonb else jsonb_build_object('n', g) end,
            1, 3, 'complete', now()
       from generate_series(0, $1::integer - 1) g`,
    [total],
  );
}, 120_000);

test('a search for a rare value returns empty pages with a cursor until it reaches the match, then ends', async () => {
  const seen: string[] = [];
  let before: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await listJobs(fx.db.pool, fx.db.schema, { args: { rare: true } }, { ...(before !== undefined && { before }), limit: 10 });
    pages++;
    seen.push(...page.jobs.map((j) => JSON.stringify(j.arguments)));
    if (page.nextCursor === null) break;
    before = page.nextCursor;
    expect(pages).toBeLessThan(10);
  }
  expect(seen).toEqual(['{"n":0,"rare":true}']);
  expect(pages).toBe(2); // the newest window holds no match; the next one holds it and the oldest job
});

test('a common value fills a page from the newest window and points to the next match', async () => {
  const page = await listJobs(fx.db.pool, fx.db.schema, { args: { n: total - 1 } }, { limit: 5 });
  expect(page.jobs.map((j) => j.arguments)).toEqual([{ n: total - 1 }]);
  expect(page.nextCursor).not.toBeNull(); // older jobs lie beyond the window: the search can go on
});

test('a count of an argument search says "at least" when older jobs lie beyond its window', async () => {
  expect(await countJobsUpTo(fx.db.pool, fx.db.schema, { args: { rare: true } })).toEqual({ count: 0, capped: true });
  expect(await countJobsUpTo(fx.db.pool, fx.db.schema, { task: { typeKey: 'greetings', taskKey: 'greet' } }, 10)).toEqual({
    count: 10,
    capped: true,
  });
});
