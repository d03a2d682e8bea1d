// A value jm cannot use is named as the user typed it (the flag, not an SDK option or a raw
// database error), in one line, with a non-zero exit, and nothing in the database changes.
import { emptySummary } from '../../packages/jobmaster/src/worker/worker-events.js';
import { expect, test } from 'vitest';
import { terminalOutput, type Output } from '../../packages/cli/src/index.js';
import { formatProgress } from '../../packages/cli/src/drain-progress.js';
import { printRunSummary } from '../../packages/cli/src/commands/run.js';
import { printPrune } from '../../packages/cli/src/commands/prune.js';
import { setStatus, useStatusFixture } from '../status/status-setup.js';
import { runJm } from '../support/run-jm.js';

const fx = useStatusFixture('bad_input');
const TASKS = ['--tasks', 'examples/things1.ts', '--tasks', 'examples/nice_tasks.ts'];

/** Everything a rejected command could have touched. */
async function databaseState(): Promise<unknown> {
  return await fx.sql(
    `select (select string_agg(id || ':' || status || ':' || run_at, ',' order by id) from :s.jobs) as jobs,
            (select count(*)::int from :s.job_events) as events,
            (select count(*)::int from :s.workers) as workers`,
  );
}

test.each([
  [['run', '--until-empty', '--concurrency', '99999999999', ...TASKS], 'jm: --concurrency must be at most 2147483647, got "99999999999"'],
  [
    ['run', '--until-empty', '--process-units', '99999999999', ...TASKS],
    'jm: --process-units must be at most 2147483647, got "99999999999"',
  ],
  [['run', '--lease', '0s', ...TASKS], 'jm: --lease must be longer than 0s, got "0s"'],
  [['run', '--poll', '0s', ...TASKS], 'jm: --poll must be longer than 0s, got "0s"'],
  [['run', '--poll', '25d', ...TASKS], 'jm: --poll must be at most 24d, got "25d"'],
  [['run', '--grace', '99999999999d', ...TASKS], 'jm: --grace must be at most 24d, got "99999999999d"'],
  [['run', '--node', '', ...TASKS], 'jm: --node must be a non-empty name of at most 200 characters'],
  [['prune', '--older-than', '99999999999d'], 'jm: --older-than is too long: it reaches back before the year 1, got "99999999999d"'],
  [['status', '--since', '999999999d'], 'jm: --since is too long: it reaches back before the year 1, got "999999999d"'],
  [
    ['enqueue', 'things1', 'foo', '--json', '{"file_path": "/x", "number": 1}', '--run-at', '+275760-09-13T00:00:00Z'],
    'jm: things1.foo: --run-at must be a time in the years 1 to 9999, got "+275760-09-13T00:00:00Z"',
  ],
  [
    ['enqueue', 'things1', 'foo', '--json', '{"file_path": "/x", "number": 1}', '--delay', '99999999999d'],
    'jm: things1.foo: --delay is too long: the job would start after the year 9999, got "99999999999d"',
  ],
])('jm %j names the flag in one line and changes nothing', async (args, message) => {
  const before = await databaseState();
  const result = await fx.jm(args);
  expect(result.stderr.trim()).toBe(message);
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(await databaseState()).toEqual(before);
});

test('--run-at takes any time from the year 1 to 9999', async () => {
  for (const at of ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z']) {
    const result = await fx.jm([
      'enqueue',
      'things1',
      'foo',
      '--json',
      JSON.stringify({ file_path: `/run-at/${at}`, number: 1 }),
      '--run-at',
      at,
    ]);
    expect(result.stderr).toBe('');
    const [row] = await fx.sql<{ same: boolean }>(`select run_at = $2::timestamptz as same from :s.jobs where id = $1`, [
      result.stdout.trim(),
      at,
    ]);
    expect(row).toEqual({ same: true });
  }
});

test.each([[['retry', '--failed', '--task', 'nope.x']], [['prune', '--older-than', '1s', '--task', 'nope.x']]])(
  'jm %j fails on an unknown task as jm status --task does',
  async (args) => {
    const id = await fx.enqueue('things1', 'foo', { file_path: `/unknown-task/${args.join(' ')}`, number: 1 });
    await setStatus(fx, id, 'failed', { finishedAgo: '1 hour', message: 'boom' });
    const before = await databaseState();
    const status = await fx.jm(['status', '--task', 'nope.x']);
    const result = await fx.jm(args);
    expect(result.code).toBe(status.code);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(status.stderr);
    expect(result.stderr.trim()).toMatch(/^jm: No task nope\.x is registered/);
    expect(result.stdout).toBe('');
    expect(await databaseState()).toEqual(before);
  },
);

test.each([['notaurl'], ['http://127.0.0.1:5432/postgres'], ['host=localhost dbname=postgres']])(
  'jm status --database-url %j says it is not a connection string',
  async (url) => {
    const result = await runJm(['status', '--database-url', url]);
    expect(result.stderr.trim()).toBe(
      'jm: --database-url is not a postgres:// connection string: expected postgres://user:password@host:5432/database',
    );
    expect(result.code).toBe(1);
  },
);

test('a DATABASE_URL that is not a connection string is named as DATABASE_URL', async () => {
  const result = await runJm(['status'], { env: { DATABASE_URL: 'notaurl' } });
  expect(result.stderr.trim()).toMatch(/^jm: DATABASE_URL is not a postgres:\/\/ connection string/);
  expect(result.code).toBe(1);
});

test('postgresql:// connection strings are accepted as postgres:// ones are', async () => {
  const url = fx.db.url.replace(/^postgres(ql)?:/, 'postgresql:');
  const result = await runJm(['status', '--database-url', url, '--schema', fx.db.schema]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
});

test('JOBMASTER_SYSTEM_PROCESS_UNITS beyond what the database stores still lets jm run', async () => {
  // greetings has no jobs here: the worker starts, registers its budget and stops.
  const result = await fx.jm(['run', '--until-empty', '--tasks', 'examples/greetings.ts'], {
    JOBMASTER_SYSTEM_PROCESS_UNITS: '99999999999',
  });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^Ran 0 jobs in /);
});

function capture(): { out: Output; lines: string[] } {
  const lines: string[] = [];
  return { out: { ...terminalOutput(), write: (text) => void lines.push(text) }, lines };
}

test('one job a second is "1 job/s"', () => {
  const { out, lines } = capture();
  printRunSummary(out, { ...emptySummary(), ran: 1, completed: 1, durationMs: 1000 });
  expect(lines[0]).toBe('Ran 1 job in 1.00 s (1 job/s)');
  expect(formatProgress({ done: 1, remaining: 0, elapsedMs: 1000 })).toBe('done 1 · remaining 0 · 1 job/s · 1.0 s');
});

test('a drain slower than one job a second prints no rate of "0 jobs/s"', () => {
  const { out, lines } = capture();
  printRunSummary(out, { ...emptySummary(), ran: 1, completed: 1, durationMs: 3000 });
  expect(lines[0]).toBe('Ran 1 job in 3.00 s');
});

test('pruning one job says "1 job"', () => {
  const { out, lines } = capture();
  printPrune(out, {
    olderThan: '1h',
    task: 'things1.foo',
    before: new Date('2026-01-01T00:00:00Z'),
    deleted: { complete: 1, failed: 0, cancelled: 0 },
    total: 1,
    alerts: { delivered: 0, undelivered: 0 },
  });
  expect(lines[0]).toMatch(/^Deleted 1 things1\.foo job that finished before /);
});
