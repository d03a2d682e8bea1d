// The alert flags of `jm run` reject what they cannot use in one line naming the flag, before
// anything runs; `jm prune` deletes old alerts with the old jobs.
import { beforeAll, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';
import { deployTasks, sql } from '../worker/worker-harness.js';

const db = useTestDatabase('alertflags');
const FIXTURES = ['--tasks', 'test/fixtures/alerts/failing.ts'];

beforeAll(async () => {
  await deployTasks(db, FIXTURES);
});

async function state(): Promise<unknown> {
  return await sql(
    db,
    `select (select string_agg(id || ':' || status, ',' order by id) from S.jobs) as jobs,
            (select count(*)::int from S.job_alerts) as alerts,
            (select count(*)::int from S.workers) as workers`,
  );
}

test.each([
  [['--alert-webhook', 'not-a-url'], 'jm: --alert-webhook must be an http:// or https:// URL, got "not-a-url"'],
  [
    ['--alert-webhook', 'ftp://example.com/alerts'],
    'jm: --alert-webhook must be an http:// or https:// URL, got "ftp://example.com/alerts"',
  ],
  [['--alert-on', 'sometimes'], 'jm: --alert-on must be "final" or "attempt", got "sometimes"'],
  [['--alert-command', ' '], 'jm: --alert-command must be a non-empty shell command, got " "'],
  [['--alert-rate', '0'], 'jm: --alert-rate must be a positive number of deliveries per second (at most 1000000), got "0"'],
  [['--alert-rate', 'fast'], 'jm: --alert-rate must be a positive number of deliveries per second (at most 1000000), got "fast"'],
  [['--alert-timeout', '0s'], 'jm: --alert-timeout must be longer than 0s, got "0s"'],
  [['--alert-retry', 'soon'], 'jm: --alert-retry must be a duration such as 30s, 15m, 1h or 7d, got "soon"'],
])('jm run %j names the flag in one line, exits 1 and runs nothing', async (flags, message) => {
  await sql(db, `select S.enqueue('failing', 'explode', 0, '{"n": 1}')`);
  const before = await state();
  const result = await runJm(['run', '--until-empty', ...dbFlags(db), ...FIXTURES, ...flags]);
  expect(result.stderr.trim()).toBe(message);
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(await state()).toEqual(before);
});

test('an alert flag without its value is a command-line error: one line and the usage hint, exit 2', async () => {
  const result = await runJm(['run', '--until-empty', ...dbFlags(db), ...FIXTURES, '--alert-webhook']);
  expect(result.code).toBe(2);
  expect(result.stderr.trim().split('\n')).toEqual([
    "error: option '--alert-webhook <url>' argument missing",
    '(run "jm <command> --help" for usage)',
  ]);
});

test('jm prune deletes the alerts raised before the cutoff, delivered or not, with the old jobs', async () => {
  // Failures with no destination (their alerts stay undelivered), one made to look old.
  await sql(db, `select S.enqueue('failing', 'explode', 0, $1)`, [JSON.stringify({ n: 2 })]);
  await sql(db, `select S.enqueue('failing', 'explode', 0, $1)`, [JSON.stringify({ n: 3 })]);
  await runJm(['run', '--until-empty', ...dbFlags(db), ...FIXTURES]);
  const [counted] = await sql(db, `select count(*)::int as n from S.job_alerts where delivered_at is null`);
  expect(counted!.n).toBeGreaterThanOrEqual(2);
  await sql(
    db,
    `update S.job_alerts set failed_at = now() - interval '10 days', delivered_at = now() - interval '9 days'
                  where id = (select min(id) from S.job_alerts)`,
  );
  await sql(
    db,
    `update S.jobs set finished_at = now() - interval '10 days' where id = (select job_id from S.job_alerts order by id limit 1)`,
  );

  const result = await runJm(['prune', '--older-than', '7d', ...dbFlags(db)]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(
    /^Deleted 1 job that finished before .*: 0 complete, 1 failed, 0 cancelled\.\nDeleted 1 failure alert raised before then: 1 delivered, 0 undelivered\.\n$/,
  );
  const [left] = await sql(db, `select count(*)::int as n from S.job_alerts`);
  expect(left!.n).toBe(counted!.n - 1);
});
