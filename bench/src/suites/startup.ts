import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { newRow, record, type Table } from '../results.js';
import { median, nowMs } from '../stats.js';
import { JobMasterProducer } from '../systems/jobmaster.js';
import type { SuiteContext } from './context.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const JM = fileURLToPath(new URL('../../../bin/jm', import.meta.url));
const TASKS = fileURLToPath(new URL('../bench-tasks.js', import.meta.url));
// The same tasks as TypeScript, which jiti compiles (its cache is warm after the warm-up run).
const TS_TASKS = fileURLToPath(new URL('../../src/bench-tasks.ts', import.meta.url));
const exec = promisify(execFile);

interface Command {
  key: string;
  label: string;
  args: (n: number) => string[];
  /** Runs after each timed run, untimed (puts the queue back as the next run needs it). */
  after?: () => Promise<void>;
}

/** Milliseconds one whole process takes, from spawn to exit; fails on a non-zero exit. */
async function timedProcess(args: string[]): Promise<number> {
  const started = nowMs();
  await exec(process.execPath, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  return nowMs() - started;
}

/**
 * Whole processes, as a cron job or a shell script pays for them: `node -e 0` (the floor),
 * `bin/jm enqueue` of one job, and `bin/jm run --until-empty` on an empty queue with the bench
 * tasks as compiled JavaScript and as TypeScript, against them deployed in the bench database.
 * One untimed warm-up of each, then `--startup-runs` runs interleaved (node, run, run-ts,
 * enqueue, node, run...), median and spread.
 */
export async function startupSuite(ctx: SuiteContext): Promise<Table> {
  const producer = new JobMasterProducer(ctx.options.databaseUrl);
  const target = ['--database-url', ctx.options.databaseUrl, '--schema', producer.schema];
  const commands: Command[] = [
    { key: 'node', label: '`node -e 0`', args: () => ['-e', '0'] },
    {
      key: 'run',
      label: '`bin/jm run --until-empty --tasks bench/dist/bench-tasks.js`, empty queue',
      args: () => [JM, 'run', '--until-empty', '--tasks', TASKS, ...target],
    },
    {
      key: 'run-ts',
      label: '`bin/jm run --until-empty --tasks bench/src/bench-tasks.ts`, empty queue',
      args: () => [JM, 'run', '--until-empty', '--tasks', TS_TASKS, ...target],
    },
    {
      key: 'enqueue',
      label: '`bin/jm enqueue bench noop --json \'{"n": N, "t": 0}\'`',
      args: (n) => [JM, 'enqueue', 'bench', 'noop', '--json', JSON.stringify({ n, t: 0 }), ...target],
      // The next `jm run --until-empty` must find the queue empty again.
      after: async () => void (await producer.pool.query(`delete from ${producer.schema}.jobs`)),
    },
  ];
  const rows = commands.map((c) => newRow(c.label, 'process', c.key));
  await producer.setup();
  try {
    for (const command of commands) {
      await timedProcess(command.args(0));
      await command.after?.();
    }
    for (let run = 1; run <= ctx.options.startupRuns; run++) {
      for (const [i, command] of commands.entries()) {
        const ms = await timedProcess(command.args(run));
        await command.after?.();
        record(rows[i]!, 'ms', ms);
      }
    }
  } finally {
    await producer.teardown();
  }
  const floor = rows[0]!.metrics.ms ?? [];
  for (const row of rows) {
    row.metrics.ratio = (row.metrics.ms ?? []).map((ms, run) => ms / (floor[run] ?? Number.NaN));
  }
  ctx.log(`startup: ${rows.map((r) => `${r.key} ${median(r.metrics.ms ?? []).toFixed(0)} ms`).join(', ')}`);
  return {
    title: `Start-up: whole processes, spawn to exit (${ctx.options.startupRuns} runs each, interleaved, after one warm-up)`,
    columns: [
      { metric: 'ms', heading: 'wall time (ms)', digits: 0, ratio: false },
      { metric: 'ratio', heading: '× `node -e 0` (same run)', digits: 1, ratio: false },
    ],
    rows,
    note:
      `Node ${process.version}, spawned from the benchmark process (execFile) against the bench database, schema ${producer.schema} ` +
      'with the bench tasks deployed. Targets: `jm enqueue` under 200 ms, `jm run --until-empty` on an empty queue under 300 ms.',
  };
}
