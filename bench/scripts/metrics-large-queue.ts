/**
 * Benchmark (not a test): how fast `jm serve` reads its queue gauges (/metrics) with
 * 1,000,000 jobs in the table, in two shapes:
 *   - history: mostly finished jobs over 30 days (13% waiting: 10% due, 1% each scheduled,
 *     in retry backoff and waiting for a dependency), 1,000 running, 5% failed;
 *   - backlog: every job waiting (90% due, 4% scheduled, 3% retry backoff, 2% waiting for a
 *     dependency), 1,000 running.
 *
 *   pnpm build
 *   pnpm exec jiti bench/scripts/metrics-large-queue.ts [DATABASE_URL] [--jobs N] [--shape history|backlog]
 *
 * DATABASE_URL defaults to $BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres.
 * Each shape is deployed into a schema of its own, filled with one INSERT ... SELECT, timed
 * right after the load and after VACUUM ANALYZE (what autovacuum does), and dropped. Prints
 * the median of 7 runs after a warm-up: the gauges query (queue_gauges) and the whole /metrics
 * request through the Fetch handler, in-process.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createApiToken, deploy, readQueueGauges } from 'jobmaster';
import { createHandler } from '@jobmaster/server';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const JOBS = Number(flag('--jobs') ?? 1_000_000);
const SHAPES = flag('--shape') ? [flag('--shape')!] : ['history', 'backlog'];
const url =
  args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ??
  process.env.BENCH_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';
const RUNS = 7;

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function median(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(ms(start));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Status and kind of job g (1..N) in each shape: what share of the jobs is in which state. */
const STATE: Record<string, string> = {
  history: `case when g % 1000 = 0 then 'running'
                 when g % 100 < 10 then 'due' when g % 100 = 10 then 'scheduled'
                 when g % 100 = 11 then 'backoff' when g % 100 = 12 then 'dependency'
                 when g % 100 < 18 then 'failed' when g % 100 < 20 then 'cancelled' else 'complete' end`,
  backlog: `case when g % 1000 = 0 then 'running'
                 when g % 100 < 4 then 'scheduled' when g % 100 < 7 then 'backoff'
                 when g % 100 < 9 then 'dependency' else 'due' end`,
};

const pool = new pg.Pool({ connectionString: url, max: 4 });
const { rows: version } = await pool.query<{ server_version: string }>('show server_version');
console.log(`PostgreSQL ${version[0]!.server_version}, ${JOBS.toLocaleString('en')} jobs, median of ${RUNS} runs after a warm-up\n`);

for (const shape of SHAPES) {
  const schema = `jm_bench_${randomBytes(4).toString('hex')}`;
  const s = `"${schema}"`;
  const handler = createHandler({ pool, schema });
  try {
    await deploy(pool, { schema, definitions: [] });
    await pool.query(
      `insert into ${s}.tasks (type_key, task_key, process_units, max_attempts)
       select 'bench' || (g % 4), 'task' || g, 1, 3 from generate_series(0, 19) g`,
    );
    const token = (await createApiToken(pool, schema, { name: 'bench', scope: 'read' })).token;
    const fillStart = process.hrtime.bigint();
    // Job g is created (30 days * g/N) ago; ids follow g. A job waiting for a dependency waits
    // for the running job with the next id that is a multiple of 1,000.
    await pool.query(
      `insert into ${s}.jobs (type_key, task_key, priority, arguments, status, process_units, run_at, created_at,
                              started_at, finished_at, attempts, max_attempts, node, worker_id, lease_expires_at, waiting_for, message)
       select 'bench' || (t % 4), 'task' || t, g % 10, jsonb_build_object('n', g),
              case when k in ('due', 'scheduled', 'backoff', 'dependency') then 'waiting' else k end,
              1,
              case when k = 'scheduled' then now() + (g % 1440) * interval '1 minute'
                   when k = 'backoff' then now() + (g % 3600) * interval '1 second'
                   else created end,
              created,
              case when k not in ('due', 'scheduled', 'dependency') then created + interval '1 second' end,
              case when k in ('failed', 'cancelled', 'complete') then created + interval '3 seconds' end,
              case when k = 'failed' then 3 when k in ('backoff', 'running', 'complete', 'cancelled') then 1 else 0 end, 3,
              case when k = 'running' then 'node-' || (g % 5) end,
              case when k = 'running' then 'w-' || (g % 5) end,
              case when k = 'running' then now() + interval '1 hour' end,
              case when k = 'dependency' then array[least((g / 1000 + 1) * 1000, $1)::bigint] end,
              case when k = 'failed' then 'failed on attempt 3 of 3' end
         from (select g, g % 20 as t, ${STATE[shape]} as k,
                      now() - ((($1 - g)::float8 / $1) * interval '30 days') as created
                 from generate_series(1, $1) g) x`,
      [JOBS],
    );
    const { rows: counts } = await pool.query<{ status: string; n: string }>(
      `select status, count(*) as n from ${s}.jobs group by 1 order by 1`,
    );
    console.log(
      `${shape}: filled in ${(ms(fillStart) / 1000).toFixed(1)} s: ${counts.map((c) => `${c.status} ${Number(c.n).toLocaleString('en')}`).join(', ')}`,
    );
    const request = (): Promise<string> =>
      handler(new Request('http://bench/metrics', { headers: { authorization: `Bearer ${token}` } })).then((r) => r.text());
    const measure = async (when: string): Promise<void> => {
      const query = await median(() => readQueueGauges(pool, schema));
      const whole = await median(request);
      console.log(`  ${when.padEnd(40)} queue_gauges ${query.toFixed(1).padStart(6)} ms   GET /metrics ${whole.toFixed(1).padStart(6)} ms`);
    };
    await measure('right after the load (no vacuum yet)');
    await pool.query(`vacuum analyze ${s}.jobs`);
    await measure('after vacuum analyze');
    const gauges = await readQueueGauges(pool, schema);
    const sum = (f: (g: (typeof gauges)[number]) => number): string => gauges.reduce((t, g) => t + f(g), 0).toLocaleString('en');
    console.log(
      `  gauges: waiting ${sum((g) => g.waiting)}, running ${sum((g) => g.running)}, scheduled ${sum((g) => g.blocked.scheduled)}, ` +
        `retry backoff ${sum((g) => g.blocked.retry_backoff)}, dependencies ${sum((g) => g.blocked.dependencies)}, failed last hour ${sum((g) => g.failedLastHour)}\n`,
    );
  } finally {
    handler.close();
    await pool.query(`drop schema if exists ${s} cascade`).catch(() => {});
  }
}
await pool.end();
