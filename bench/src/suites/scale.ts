import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { newRow, record, type Table } from '../results.js';
import { median, nowMs } from '../stats.js';
import { JobMasterProducer } from '../systems/jobmaster.js';
import type { SuiteContext } from './context.js';

const REPEATS = 5;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

async function timed(repeats: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = nowMs();
    await work();
    times.push(nowMs() - started);
  }
  return median(times);
}

/** Figures read from bench/scripts/status-large-queue.ts (the status benchmark), which this suite reuses. */
interface StatusFigures {
  beforeVacuum: number;
  afterVacuum: number;
  allAfterVacuum: number;
  cli: number;
}

async function statusScript(url: string, size: number): Promise<StatusFigures> {
  const { stdout } = await run('pnpm', ['exec', 'jiti', 'bench/scripts/status-large-queue.ts', url, '--jobs', String(size)], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [before = '', after = ''] = stdout.split('After vacuum analyze:');
  const find = (text: string, label: string): number => {
    const line = text.split('\n').find((l) => l.trim().startsWith(label));
    const match = line?.match(/(\d+) ms\s*$/);
    return match ? Number(match[1]) : Number.NaN;
  };
  return {
    beforeVacuum: find(before, 'getQueueStatus({since: 24h})  (jm status)'),
    afterVacuum: find(after, 'getQueueStatus({since: 24h})  (jm status)'),
    allAfterVacuum: find(after, 'getQueueStatus()  (jm status --since all)'),
    cli: find(after, 'jm status, whole process'),
  };
}

/**
 * Claim and status timings as the queue grows. Claim: the jobs table is filled straight in SQL
 * to each size (half waiting no-op jobs; half completed `bench.prerequisite` jobs, each with
 * its own argument, recorded as a worker's completion records them), and one `claim_jobs` of
 * 100 is timed (rolled back, so every repeat sees the same queue). Dependency check: a claim
 * of 100 `bench.dependent` jobs, whose prerequisite (k = 1) is not among those completions,
 * so every job's check misses and it waits for a new prerequisite job. Status:
 * bench/scripts/status-large-queue.ts (the status benchmark, with a realistic mix of
 * statuses over 30 days) is run at each size and its `getQueueStatus` and `jm status`
 * figures are quoted.
 */
export async function scaleSuite(ctx: SuiteContext): Promise<Table> {
  const producer = new JobMasterProducer(ctx.options.databaseUrl);
  const s = producer.schema;
  const rows = [];
  const sizes = [...ctx.options.scaleSizes].sort((a, b) => a - b);
  await producer.setup();
  try {
    let filled = 0;
    // The dependents, behind the no-op jobs (priority -1) so that the plain claim never takes them.
    await producer.pool.query(
      `insert into ${s}.jobs (type_key, task_key, priority, arguments, process_units, max_attempts)
       select 'bench', 'dependent', -1, jsonb_build_object('n', g, 't', 0), 1, 3 from generate_series(1, 100) g`,
    );
    for (const size of sizes) {
      const started = nowMs();
      await producer.pool.query(
        `insert into ${s}.jobs (type_key, task_key, priority, arguments, status, process_units, max_attempts, attempts, started_at, finished_at)
         select 'bench', case when g % 2 = 0 then 'prerequisite' else 'noop' end, 0,
                case when g % 2 = 0 then jsonb_build_object('k', g) else jsonb_build_object('n', g, 't', 0) end,
                case when g % 2 = 0 then 'complete' else 'waiting' end,
                1, 3, (g % 2 = 0)::int, case when g % 2 = 0 then now() end, case when g % 2 = 0 then now() end
           from generate_series($1::bigint + 1, $2::bigint) g`,
        [filled, size],
      );
      await producer.pool.query(
        `select ${s}.record_completions(array(select j.id from ${s}.jobs j
                                                where j.type_key = 'bench' and j.task_key = 'prerequisite' and (j.arguments ->> 'k')::bigint > $1))`,
        [filled],
      );
      await producer.pool.query(`vacuum analyze ${s}.jobs`);
      filled = size;
      ctx.log(`scale: filled to ${size.toLocaleString('en-US')} jobs in ${((nowMs() - started) / 1000).toFixed(1)} s`);
      const row = newRow(`${size.toLocaleString('en-US')} jobs`, 'jobmaster');
      const client = await producer.pool.connect();
      try {
        const claim = await timed(REPEATS, async () => {
          await client.query('begin');
          await client.query(`select * from ${s}.claim_jobs('bench-scale', 'bench-scale-node', 1, 10000, 100, 30, null, 20)`);
          await client.query('rollback');
        });
        record(row, 'claim', claim);
        const dependents = await timed(REPEATS, async () => {
          await client.query('begin');
          await client.query(
            `select * from ${s}.claim_jobs('bench-scale', 'bench-scale-node', 1, 10000, 100, 30, array['bench.dependent'], 20)`,
          );
          await client.query('rollback');
        });
        record(row, 'dependents', dependents);
      } finally {
        client.release();
      }
      rows.push(row);
    }
  } finally {
    await producer.teardown();
  }
  for (const [i, size] of sizes.entries()) {
    const row = rows[i]!;
    try {
      const status = await statusScript(ctx.options.databaseUrl, size);
      record(row, 'statusBefore', status.beforeVacuum);
      record(row, 'status', status.afterVacuum);
      record(row, 'statusAll', status.allAfterVacuum);
      record(row, 'cli', status.cli);
    } catch (error) {
      row.notes.push(`status benchmark failed: ${(error as Error).message.split('\n')[0]}`);
    }
    ctx.log(
      `scale ${size}: claim ${row.metrics.claim?.[0]?.toFixed(1)} ms, dependents ${row.metrics.dependents?.[0]?.toFixed(1)} ms, status ${row.metrics.status?.[0] ?? 'n/a'} ms, jm status ${row.metrics.cli?.[0] ?? 'n/a'} ms`,
    );
  }
  return {
    title: 'Claim and status timings as the queue grows (JobMaster)',
    columns: [
      { metric: 'claim', heading: 'claim_jobs of 100, half the queue waiting (ms)', digits: 1, ratio: false },
      {
        metric: 'dependents',
        heading: 'claim of 100 dependents, dependency not met, half the queue its completions (ms)',
        digits: 1,
        ratio: false,
      },
      { metric: 'statusBefore', heading: '`jm status` queries (last 24 h) right after a bulk load (ms)', digits: 0, ratio: false },
      { metric: 'status', heading: '`jm status` queries (last 24 h) after vacuum analyze (ms)', digits: 0, ratio: false },
      { metric: 'statusAll', heading: '`jm status --since all` queries, whole history (ms)', digits: 0, ratio: false },
      { metric: 'cli', heading: '`jm status` whole process (ms)', digits: 0, ratio: false },
    ],
    rows,
    note:
      `Claim: median of ${REPEATS} repeats, rolled back each time. Status columns come from bench/scripts/status-large-queue.ts ` +
      '(13% waiting, 80% complete, 5% failed, 2% cancelled, 0.1% running, over 30 days; median of 5 after a warm-up); ' +
      '`jm status` counts finished jobs of the last 24 hours by default; the whole-process figure includes starting Node.',
  };
}
