// The TypeScript destinations: a task's own onFailure and the worker-wide onJobFailed. Each
// alert reaches each destination once, however many workers deliver, and a destination that
// failed is retried without repeating the ones that took the alert.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, loadTaskModules, registry, type FailureAlert } from 'jobmaster';
import { beforeAll, expect, test } from 'vitest';
import { REPO_ROOT } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';
import { deployTasks, lines, sql, startWorker, tempDir } from '../worker/worker-harness.js';

const db = useTestDatabase('alerthandlers');
const HANDLED = ['--tasks', 'test/fixtures/alerts/handled.ts'];
const FAILING = ['--tasks', 'test/fixtures/alerts/failing.ts'];
const dir = tempDir();

beforeAll(async () => {
  await deployTasks(db, [...HANDLED, ...FAILING]);
});

test("a task's onFailure is called once per failed job while two workers drain the queue at once", async () => {
  const file = join(dir, 'on-failure.jsonl');
  const ids: string[] = [];
  for (let n = 0; n < 20; n++) {
    const [row] = await sql(db, `select job_id::text from S.enqueue('handled', 'fragile', 0, $1)`, [JSON.stringify({ file, n })]);
    ids.push(row!.job_id);
  }
  const workers = [0, 1].map(() => startWorker(db, ['--until-empty', '--json', ...HANDLED, '--alert-retry', '100ms']));
  const exits = await Promise.all(workers.map((w) => w.exited));
  const summaries = exits.map((e) => JSON.parse(e.stdout) as { failed: number; alerts: { pending: number } });
  // A drain exits 1 when a job it ran failed for good.
  exits.forEach((e, i) => expect(e.code, e.stderr).toBe(summaries[i]!.failed > 0 ? 1 : 0));
  expect(summaries.reduce((sum, s) => sum + s.failed, 0)).toBe(20);

  const calls = lines(file).map((l) => JSON.parse(l) as FailureAlert & { pid: number });
  expect(calls.map((c) => c.jobId).sort()).toEqual([...ids].sort());
  expect(calls.every((c) => c.task === 'handled.fragile' && c.final && c.cause === 'error')).toBe(true);
  expect(calls.find((c) => c.jobId === ids[3])!.error.message).toBe(`fragile 3 (${file})`);
  const delivered = await sql(db, `select delivered_to from S.job_alerts where job_id = any ($1::bigint[]) and delivered_at is not null`, [
    ids,
  ]);
  expect(delivered).toHaveLength(20);
  for (const row of delivered) expect(row.delivered_to).toEqual(['onFailure']);
});

test('a worker whose only destinations are onFailure handlers leaves the alerts of other tasks for a worker that has a destination', async () => {
  const [row] = await sql(db, `select job_id::text from S.enqueue('failing', 'explode', 0, '{"n": 40}')`);
  const exit = await startWorker(db, ['--until-empty', '--json', ...HANDLED, ...FAILING]).exited;
  expect(exit.code, exit.stderr).toBe(1);
  expect(JSON.parse(exit.stdout)).toMatchObject({ failed: 1, alerts: { delivered: 0, pending: 0 } });
  const [alert] = await sql(db, `select delivered_at from S.job_alerts where job_id = $1`, [row!.job_id]);
  expect(alert!.delivered_at).toBeNull();
});

test('the worker-wide onJobFailed gets every alert; when it throws it is retried, and the command that took the alert is not run again', async () => {
  await loadTaskModules(['test/fixtures/alerts/failing.ts'], { cwd: REPO_ROOT });
  const out = join(dir, 'command.jsonl');
  const ids: string[] = [];
  for (const n of [51, 52]) {
    const [row] = await sql(db, `select job_id::text from S.enqueue('failing', 'explode', 0, $1)`, [JSON.stringify({ n })]);
    ids.push(row!.job_id);
  }
  const calls: FailureAlert[] = [];
  const worker = new Worker({
    pool: db.pool,
    schema: db.schema,
    tasks: registry.definitions().filter((d) => d.typeKey === 'failing'),
    untilEmpty: true,
    logger: { info: () => {}, warn: () => {}, error: () => {} },
    alerts: { command: `cat >> '${out}'`, retryDelayMs: 50 },
    onJobFailed: (alert) => {
      calls.push(alert);
      if (alert.delivery === 1) throw new Error('pager busy');
    },
  });
  const summary = await worker.run();
  expect(summary.alerts).toMatchObject({ pending: 0, failedAttempts: 3 });

  // The earlier test's alert (no destination took it) is delivered here too.
  const mine = calls.filter((c) => ids.includes(c.jobId));
  expect(mine.map((c) => [c.jobId, c.delivery]).sort()).toEqual([
    [ids[0], 1],
    [ids[0], 2],
    [ids[1], 1],
    [ids[1], 2],
  ]);
  expect(mine[0]!.failedAt).toBeInstanceOf(Date);
  const commandRuns = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { jobId: string });
  expect(
    commandRuns
      .filter((c) => ids.includes(c.jobId))
      .map((c) => c.jobId)
      .sort(),
  ).toEqual([...ids].sort());
  const rows = await sql(db, `select delivered_to, last_error from S.job_alerts where job_id = any ($1::bigint[])`, [ids]);
  for (const row of rows) expect(row).toEqual({ delivered_to: ['command', 'onJobFailed'], last_error: 'onJobFailed threw: pager busy' });
});
