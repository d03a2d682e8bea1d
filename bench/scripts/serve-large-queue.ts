/**
 * Benchmark (not a test): how fast `jm serve` answers its pages and API lists over a queue of
 * 1,000,000 jobs (the fill of status-large-queue.ts: mixed statuses over 30 days, 20 tasks).
 *
 *   pnpm build
 *   pnpm exec jiti bench/scripts/serve-large-queue.ts [DATABASE_URL] [--jobs N]
 *
 * Calls the Fetch handler in-process (no socket), prints the median of 5 runs per request
 * after a warm-up, and drops the schema.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createApiToken, deploy, getQueueStatus, getThroughput } from 'jobmaster';
import { createHandler } from '@jobmaster/server';

const args = process.argv.slice(2);
const jobsFlag = args.indexOf('--jobs');
const JOBS = jobsFlag >= 0 ? Number(args[jobsFlag + 1]) : 1_000_000;
const url =
  args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--jobs') ??
  process.env.BENCH_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `jm_bench_${randomBytes(4).toString('hex')}`;
const RUNS = 5;

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: ms(start) };
}

const pool = new pg.Pool({ connectionString: url, max: 8 });
const s = `"${schema}"`;

try {
  const { rows: version } = await pool.query<{ server_version: string }>('show server_version');
  console.log(`PostgreSQL ${version[0]!.server_version}, schema ${schema}, ${JOBS.toLocaleString('en')} jobs\n`);
  await deploy(pool, { schema, definitions: [] });
  await pool.query(
    `insert into ${s}.tasks (type_key, task_key, process_units, max_attempts)
     select 'bench' || (g % 4), 'task' || g, 1 + g % 3, 3 from generate_series(0, 19) g`,
  );
  const fill = await timed(() =>
    pool.query(
      `insert into ${s}.jobs (type_key, task_key, priority, arguments, status, process_units, run_at, created_at,
                              started_at, finished_at, attempts, max_attempts, node, pid, worker_id, lease_expires_at,
                              result, error, message)
       select 'bench' || (t % 4), 'task' || t, g % 10, jsonb_build_object('n', g), st,
              1 + t % 3, created, created, started,
              case when st in ('complete', 'failed', 'cancelled') then started + interval '2 seconds' end,
              case when st = 'failed' then 3 when st = 'waiting' then 0 else 1 end, 3,
              case when st in ('running', 'complete', 'failed') then 'node-' || (g % 5) end,
              case when st in ('running', 'complete', 'failed') then 1000 + g % 50 end,
              case when st = 'running' then 'w-' || (g % 5) end,
              case when st = 'running' then now() + interval '1 minute' end,
              case when st = 'complete' then '{"ok": true}'::jsonb end,
              case when st = 'failed' then jsonb_build_object('message', 'error ' || g, 'stack', 'Error: error ' || g, 'attempt', 3) end,
              case when st = 'failed' then 'failed on attempt 3 of 3: error ' || g end
         from (select g, g % 20 as t,
                      case when g % 1000 = 0 then 'running'
                           when g % 100 < 13 then 'waiting'
                           when g % 100 < 18 then 'failed'
                           when g % 100 < 20 then 'cancelled'
                           else 'complete' end as st,
                      now() - (g::float8 / $1) * interval '30 days' as created,
                      now() - (g::float8 / $1) * interval '30 days' + interval '1 second' as started
                 from generate_series(1, $1) g) x`,
      [JOBS],
    ),
  );
  console.log(`fill (one INSERT ... SELECT generate_series): ${(fill.ms / 1000).toFixed(1)} s`);
  await pool.query(
    `insert into ${s}.workers (worker_id, node, pid, process_units, concurrency)
     select 'w-' || n, 'node-' || n, 1000 + n, 10000, 200 from generate_series(0, 4) n`,
  );
  await pool.query(`vacuum analyze ${s}.jobs`);
  const { token } = await createApiToken(pool, schema, { name: 'bench', scope: 'read' });
  const handler = createHandler({ pool, schema });
  const middle = String(Math.floor(JOBS / 2));
  const requests = [
    '/',
    '/jobs',
    '/jobs?status=failed',
    '/jobs?task=bench1.task5&status=waiting',
    `/jobs?before=${middle}`,
    `/jobs/${middle}`,
    '/tasks',
    '/schedules',
    '/api/v1/status',
    '/api/v1/jobs',
    '/api/v1/jobs?status=running',
    '/api/v1/jobs?task=bench3.task7&status=failed',
    `/api/v1/jobs?limit=500&before=${middle}`,
    `/api/v1/jobs?args=${encodeURIComponent('{"n": 4}')}&from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`,
    `/api/v1/jobs?args=${encodeURIComponent(`{"n": ${JOBS - 7}}`)}`,
    `/api/v1/jobs/${middle}`,
  ];
  const parts: Array<[string, () => Promise<unknown>]> = [
    [
      '  getQueueStatus({since: 24h})  (overview, /api/v1/status)',
      () => getQueueStatus(pool, schema, { since: new Date(Date.now() - 86_400_000) }),
    ],
    ['  getThroughput(60)  (overview chart)', () => getThroughput(pool, schema, 60)],
  ];
  for (const [label, fn] of parts) {
    await fn();
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push((await timed(fn)).ms);
    times.sort((a, b) => a - b);
    console.log(`${label.padEnd(70)} ${times[Math.floor(times.length / 2)]!.toFixed(0).padStart(6)} ms`);
  }
  for (const path of requests) {
    const call = async (): Promise<void> => {
      const response = await handler(new Request(`http://bench${path}`, { headers: { authorization: `Bearer ${token}` } }));
      if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    };
    await call();
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push((await timed(call)).ms);
    times.sort((a, b) => a - b);
    console.log(`${path.padEnd(70)} ${times[Math.floor(times.length / 2)]!.toFixed(0).padStart(6)} ms`);
  }
  handler.close();
} finally {
  await pool.query(`drop schema if exists ${s} cascade`);
  await pool.end();
}
