/**
 * Benchmark (not a test): how fast `jm status` reads a queue of 1,000,000 jobs.
 *
 *   pnpm build
 *   pnpm exec jiti bench/scripts/status-large-queue.ts [DATABASE_URL] [--jobs N]
 *
 * (On Node 22+ `node --experimental-strip-types bench/scripts/status-large-queue.ts` works too.)
 * DATABASE_URL defaults to $BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres.
 * It deploys into a schema of its own, fills it with one INSERT ... SELECT generate_series
 * (mixed statuses over 30 days, 20 tasks, 1,000 running on 5 nodes), times the status queries
 * and the `jm status` binary end to end, prints the figures and drops the schema.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createPool, deploy, getJobDetail, getQueueStatus, type QueueStatusOptions } from 'jobmaster';
import { fillLargeQueueJobs, fillLargeQueueTasks, fillLargeQueueWorkers } from '../src/large-queue.js';

const args = process.argv.slice(2);
const jobsFlag = args.indexOf('--jobs');
const JOBS = jobsFlag >= 0 ? Number(args[jobsFlag + 1]) : 1_000_000;
const url =
  args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--jobs') ??
  process.env.BENCH_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `jm_bench_${randomBytes(4).toString('hex')}`;
const JM = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));
const RUNS = 5;

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: ms(start) };
}

/** Median of RUNS runs, after one warm-up. */
async function median(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push((await timed(fn)).ms);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function cliMedian(extra: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const run = spawnSync(process.execPath, [JM, 'status', ...extra, '--database-url', url, '--schema', schema], { encoding: 'utf8' });
    times.push(ms(start));
    if (run.status !== 0) throw new Error(`jm status failed: ${run.stderr}`);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

// JobMaster's own pool, with the session settings `jm status` runs with.
const pool = createPool(url, { max: 8 });
const s = `"${schema}"`;
const report: Array<[string, string]> = [];
const line = (label: string, value: string): void => {
  report.push([label, value]);
  console.log(`${label.padEnd(58)} ${value}`);
};

try {
  const { rows: version } = await pool.query<{ server_version: string }>('show server_version');
  console.log(`PostgreSQL ${version[0]!.server_version}, schema ${schema}, ${JOBS.toLocaleString('en')} jobs\n`);
  await deploy(pool, { schema, definitions: [] });
  await fillLargeQueueTasks(pool, s);

  const fill = await timed(() => fillLargeQueueJobs(pool, s, JOBS));
  line('fill (one INSERT ... SELECT generate_series)', `${(fill.ms / 1000).toFixed(1)} s`);
  await fillLargeQueueWorkers(pool, s);
  const { rows: counts } = await pool.query<{ status: string; n: string }>(
    `select status, count(*) as n from ${s}.jobs group by 1 order by 1`,
  );
  console.log(`  ${counts.map((c) => `${c.status} ${Number(c.n).toLocaleString('en')}`).join(', ')}\n`);

  // jm status counts finished jobs of the last 24 hours unless --since says otherwise.
  const hoursAgo = (hours: number): Date => new Date(Date.now() - hours * 3_600_000);
  const cases: Array<[string, QueueStatusOptions]> = [
    ['getQueueStatus({since: 24h})  (jm status)', { since: hoursAgo(24) }],
    ['getQueueStatus()  (jm status --since all)', {}],
    ['getQueueStatus({since: 1h})  (jm status --since 1h)', { since: hoursAgo(1) }],
    [
      'getQueueStatus({task, since: 24h})  (jm status --task bench1.task5)',
      { task: { typeKey: 'bench1', taskKey: 'task5' }, since: hoursAgo(24) },
    ],
    ['getQueueStatus({status: failed, since: 24h})  (jm status --status failed)', { status: 'failed', since: hoursAgo(24) }],
  ];
  const measure = async (phase: string): Promise<void> => {
    console.log(phase);
    for (const [label, options] of cases)
      line(`  ${label}`, `${(await median(() => getQueueStatus(pool, schema, options))).toFixed(0)} ms`);
    line(
      '  getJobDetail(500000)  (jm status 500000)',
      `${(await median(() => getJobDetail(pool, schema, String(Math.min(500_000, JOBS))))).toFixed(0)} ms`,
    );
    line('  jm status, whole process (node start, connect, query, print)', `${cliMedian([]).toFixed(0)} ms`);
    line('  jm status --since all, whole process', `${cliMedian(['--since', 'all']).toFixed(0)} ms`);
    console.log();
  };
  // Straight after a bulk load: no statistics yet, visibility map not set.
  await measure('Right after the load (before any vacuum or analyze):');
  const vac = await timed(() => pool.query(`vacuum analyze ${s}.jobs`));
  line('vacuum analyze (what autovacuum does in the background)', `${(vac.ms / 1000).toFixed(1)} s`);
  console.log();
  await measure('After vacuum analyze:');
  console.log(`median of ${RUNS} runs after one warm-up each`);
} finally {
  await pool.query(`drop schema if exists ${s} cascade`).catch(() => {});
  await pool.end();
}
