// `jm run --until-empty` shows live progress on a terminal and stays quiet in cron.
import { execFileSync, spawnSync } from 'node:child_process';
import { beforeAll, expect, test } from 'vitest';
import { formatProgress } from '../../packages/cli/src/drain-progress.js';
import { JM_ENTRY, REPO_ROOT, cleanEnv, dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('progress');
const flags = (): string[] => [...dbFlags(db), '--tasks', 'examples/greetings.ts', '--tasks', 'test/fixtures/worker/counting.ts'];

async function enqueueGreetings(n: number): Promise<void> {
  await db.pool.query(
    `select count(*) from generate_series(1, $1) g, "${db.schema}".enqueue('greetings', 'greet', 0, jsonb_build_object('name', 'n' || g))`,
    [n],
  );
}

beforeAll(async () => {
  expect((await runJm(['deploy', ...flags()])).code).toBe(0);
});

test('a progress line shows done, remaining, rate and time', () => {
  expect(formatProgress({ done: 1200, remaining: 3400, elapsedMs: 1500 })).toBe('done 1,200 · remaining 3,400 · 800 jobs/s · 1.5 s');
  expect(formatProgress({ done: 0, remaining: null, elapsedMs: 0 })).toBe('done 0 · remaining … · 0 jobs/s · 0.0 s');
});

test('without a terminal (cron) there is no progress line, only the summary', async () => {
  await enqueueGreetings(300);
  const result = await runJm(['run', '--until-empty', ...flags()]);
  expect(result.code).toBe(0);
  expect(result.stderr).toBe('');
  expect(result.stdout).toMatch(/^Ran 300 jobs in/);
});

const hasScript = spawnSync('script', ['--version']).status === 0;

test.runIf(hasScript)('on a terminal the line is redrawn in place and cleared before the summary', async () => {
  // Jobs that take 25 ms each, one at a time: the drain lasts about a second however fast
  // the queue is, so the line (redrawn every 200 ms) shows several times.
  await db.pool.query(
    `select count(*) from generate_series(1, 40) g,
            "${db.schema}".enqueue('counting', 'ordered', 0, jsonb_build_object('file', '/dev/null', 'n', g, 'ms', 25))`,
  );
  const command = [process.execPath, JM_ENTRY, 'run', '--until-empty', '--concurrency', '1', ...flags()].map((a) => `'${a}'`).join(' ');
  // `script` gives the command a pseudo-terminal, as a person at a shell would have.
  const output = execFileSync('script', ['-qfec', command, '/dev/null'], {
    cwd: REPO_ROOT,
    env: cleanEnv({ NO_COLOR: '1' }),
    encoding: 'utf8',
  });
  expect(output).toMatch(/\r\u001b\[2Kdone [\d,]+ · remaining [\d,…]+ · [\d,]+ jobs\/s/);
  expect(output).toMatch(/\r\u001b\[2KRan 40 jobs in/);
});
