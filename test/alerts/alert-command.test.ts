// `jm run --alert-command CMD`: the command gets each alert as JSON on standard input and as
// JM_ALERT_* variables; a command that fails is retried, and `jm status` shows why meanwhile.
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';
import { deployTasks, lines, sql, startWorker, tempDir } from '../worker/worker-harness.js';

const db = useTestDatabase('alertcmd');
const FIXTURES = ['--tasks', 'test/fixtures/alerts/failing.ts'];
const dir = tempDir();

beforeAll(async () => {
  await deployTasks(db, FIXTURES);
});

async function enqueue(n: number): Promise<string> {
  const [row] = await sql(db, `select job_id::text from S.enqueue('failing', 'explode', 0, $1)`, [JSON.stringify({ n })]);
  return row!.job_id;
}

async function drain(command: string, extra: string[] = []) {
  const exit = await startWorker(db, [
    '--until-empty',
    '--json',
    ...FIXTURES,
    '--alert-command',
    command,
    '--alert-retry',
    '100ms',
    ...extra,
  ]).exited;
  return { ...exit, summary: JSON.parse(exit.stdout) as Record<string, any> };
}

test('the alert command reads the alert as JSON on standard input and in JM_ALERT_* variables, once per failed job', async () => {
  const json = join(dir, 'alerts.jsonl');
  const env = join(dir, 'env.txt');
  const ids = [await enqueue(1), await enqueue(2)];
  const { code, summary, stderr } = await drain(
    `cat >> '${json}' && printf '%s|%s|%s|%s|%s|%s\\n' "$JM_ALERT_JOB_ID" "$JM_ALERT_TASK" "$JM_ALERT_FINAL" "$JM_ALERT_ATTEMPT" "$JM_ALERT_CAUSE" "$JM_ALERT_MESSAGE" >> '${env}'`,
  );
  expect(code, stderr).toBe(1);
  expect(summary.alerts).toMatchObject({ delivered: 2, pending: 0 });
  const alerts = lines(json).map((l) => JSON.parse(l) as Record<string, any>);
  expect(alerts.map((a) => a.jobId).sort()).toEqual([...ids].sort());
  expect(alerts.find((a) => a.jobId === ids[0])).toMatchObject({
    task: 'failing.explode',
    arguments: { n: 1 },
    error: { message: 'exploded 1' },
  });
  expect(lines(env).sort()).toEqual(
    [`${ids[0]}|failing.explode|true|1|error|exploded 1`, `${ids[1]}|failing.explode|true|1|error|exploded 2`].sort(),
  );
});

test('a command that exits non-zero is retried until it succeeds, and the worker says why in one line', async () => {
  const flag = join(dir, 'tried');
  const out = join(dir, 'retried.jsonl');
  const id = await enqueue(3);
  const { summary, stderr } = await drain(
    `test -f '${flag}' || { touch '${flag}'; echo 'pager service unreachable' >&2; exit 3; }; cat >> '${out}'`,
  );
  expect(summary.alerts).toMatchObject({ delivered: 1, pending: 0 });
  expect(stderr).toMatch(
    /alert \d+ for job \d+ \(failing\.explode\) not delivered, retrying in 0\.1 s: alert command exited with status 3: pager service unreachable/,
  );
  expect(
    lines(out)
      .map((l) => JSON.parse(l) as { jobId: string; delivery: number })
      .map((a) => [a.jobId, a.delivery]),
  ).toEqual([[id, 2]]);
});

test('alerts a command keeps refusing stay undelivered, and jm status shows how many, the oldest and the last error', async () => {
  const id = await enqueue(4);
  const { summary } = await drain(`echo 'no route to pager' >&2; exit 1`, ['--grace', '1s']);
  expect(summary.alerts).toMatchObject({ delivered: 0, pending: 1, lastError: 'alert command exited with status 1: no route to pager' });

  const json = await runJm(['status', '--output', 'json', ...dbFlags(db)]);
  expect(json.code, json.stderr).toBe(0);
  const status = JSON.parse(json.stdout) as { alerts: Record<string, any> };
  expect(status.alerts).toMatchObject({
    undelivered: 1,
    undeliveredAttempts: 0,
    capped: false,
    oldestAt: expect.any(String),
    lastError: { jobId: id, task: 'failing.explode', message: 'alert command exited with status 1: no route to pager' },
    deliverers: { final: 0, attempt: 0 },
  });
  expect(status.alerts.lastError.deliveries).toBeGreaterThanOrEqual(1);

  const text = await runJm(['status', ...dbFlags(db)]);
  expect(text.stdout).toMatch(/Failure alerts\n1 undelivered \(oldest raised \d+s ago\)\n/);
  expect(text.stdout).toMatch(
    new RegExp(
      `Last delivery error \\d+s ago, alert \\d+ \\(job ${id} failing\\.explode, \\d+ attempts?\\): alert command exited with status 1: no route to pager`,
    ),
  );
  expect(text.stdout).toContain('No live worker delivers alerts: they wait for one');
});
