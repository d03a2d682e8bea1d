import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { createApiToken, createPool, deploy } from 'jobmaster';
import { createHandler } from '@jobmaster/server';
import { newRow, record, type Table } from '../results.js';
import { median, nowMs } from '../stats.js';
import type { SuiteContext } from './context.js';
import { fillLargeQueueJobs, fillLargeQueueTasks, fillLargeQueueWorkers } from '../large-queue.js';

/** Timed calls of each request per table row, after one warm-up (cheap, so never fewer than this). */
const MIN_SAMPLES = 5;

/** Fills the large queue (large-queue.ts), plus a 3-step workflow with one run per 100 jobs. */
async function fill(pool: pg.Pool, s: string, jobs: number): Promise<void> {
  await fillLargeQueueTasks(pool, s);
  await pool.query(
    `insert into ${s}.task_dependencies (type_key, task_key, position, depends_on_type_key, depends_on_task_key, freshness)
     select 'bench' || ((g + 1) % 4), 'task' || (g + 1), 0, 'bench' || (g % 4), 'task' || g, interval '1 day' from generate_series(0, 9) g`,
  );
  await fillLargeQueueJobs(pool, s, jobs);
  await fillLargeQueueWorkers(pool, s);
  const steps = [0, 1, 2].map((i) => ({
    id: `step${i}`,
    type_key: `bench${i}`,
    task_key: `task${i}`,
    requires: i ? [`step${i - 1}`] : [],
    args: {},
    priority: 0,
  }));
  const definition = JSON.stringify({ description: 'bench chain', params: [], steps, schedule: null });
  await pool.query(`insert into ${s}.workflows (name, definition) values ('bench-chain', $1::jsonb)`, [definition]);
  await pool.query(
    `with runs as (
       insert into ${s}.workflow_runs (workflow_name, definition, status, created_at, finished_at)
       select 'bench-chain', $1::jsonb, case when g % 10 = 0 then 'running' when g % 10 = 1 then 'failed' else 'complete' end,
              now() - (g::float8 / $2) * interval '30 days',
              case when g % 10 <> 0 then now() - (g::float8 / $2) * interval '30 days' + interval '6 seconds' end
         from generate_series(1, $2) g
       returning id, status)
     insert into ${s}.workflow_run_steps (run_id, step_id, position, type_key, task_key, requires, pending, status)
     select r.id, 'step' || i, i, 'bench' || i, 'task' || i, case when i > 0 then array['step' || (i - 1)] else '{}' end, 0,
            case when r.status = 'complete' then 'complete' when i = 0 then 'complete' else 'pending' end
       from runs r cross join generate_series(0, 2) i`,
    [definition, Math.max(1, Math.floor(jobs / 100))],
  );
  await pool.query(`vacuum analyze ${s}.jobs`);
  await pool.query(`analyze ${s}.workflow_runs`);
}

/**
 * `jm serve` over a large queue (`--serve-jobs`, default 1,000,000): each dashboard page and API
 * list through the Fetch handler in-process (no socket), one warm-up then at least 5 timed
 * calls; the median with the spread. Target (issue 18): every one under 300 ms.
 */
export async function serveSuite(ctx: SuiteContext): Promise<Table> {
  const jobs = ctx.options.serveJobs;
  const schema = `bench_serve_${randomBytes(3).toString('hex')}`;
  const s = `"${schema}"`;
  // JobMaster's own pool, with the session settings `jm serve` runs with.
  const pool = createPool(ctx.options.databaseUrl, { max: 8 });
  const rows = [];
  try {
    await deploy(pool, { schema, definitions: [] });
    const started = nowMs();
    await fill(pool, s, jobs);
    ctx.log(`serve: filled ${jobs.toLocaleString('en-US')} jobs in ${((nowMs() - started) / 1000).toFixed(1)} s`);
    const { token } = await createApiToken(pool, schema, { name: 'bench', scope: 'read' });
    const handler = createHandler({ pool, schema });
    const middle = String(Math.floor(jobs / 2));
    const { rows: run } = await pool.query<{ id: string }>(`select id::text from ${s}.workflow_runs order by id desc limit 1 offset 10`);
    const requests = [
      '/',
      '/jobs',
      '/jobs?status=failed',
      '/jobs?task=bench1.task5&status=waiting',
      `/jobs?before=${middle}`,
      `/jobs/${middle}`,
      '/tasks',
      '/schedules',
      '/graph',
      '/workflows',
      '/workflows/bench-chain',
      `/workflow-runs/${run[0]?.id ?? '1'}`,
      '/api/v1/status',
      '/api/v1/jobs',
      '/api/v1/jobs?status=running',
      '/api/v1/jobs?task=bench3.task7&status=failed',
      `/api/v1/jobs?limit=500&before=${middle}`,
      `/api/v1/jobs?args=${encodeURIComponent('{"n": 4}')}&from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`,
      `/api/v1/jobs?args=${encodeURIComponent(`{"n": ${jobs - 7}}`)}`,
      `/api/v1/jobs/${middle}`,
      '/api/v1/workflow-runs',
      '/api/v1/workflow-runs?status=failed',
      '/api/v1/graph',
    ];
    const samples = Math.max(MIN_SAMPLES, ctx.options.runs);
    for (const path of requests) {
      const call = async (): Promise<void> => {
        const response = await handler(new Request(`http://bench${path}`, { headers: { authorization: `Bearer ${token}` } }));
        if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
        await response.arrayBuffer();
      };
      await call();
      const row = newRow(`\`GET ${path.length > 70 ? `${path.slice(0, 69)}…` : path}\``, 'jobmaster', path);
      for (let i = 0; i < samples; i++) {
        const t = nowMs();
        await call();
        record(row, 'ms', nowMs() - t);
      }
      rows.push(row);
    }
    handler.close();
  } finally {
    await pool.query(`drop schema if exists ${s} cascade`);
    await pool.end();
  }
  const slowest = Math.max(...rows.map((r) => median(r.metrics.ms ?? [])));
  ctx.log(`serve: slowest median ${slowest.toFixed(0)} ms over ${rows.length} requests`);
  return {
    title: `jm serve: dashboard pages and API lists over ${jobs.toLocaleString('en-US')} jobs (in-process Fetch handler, ${Math.max(MIN_SAMPLES, ctx.options.runs)} calls each after a warm-up)`,
    columns: [{ metric: 'ms', heading: 'response time (ms)', digits: 1, ratio: false }],
    rows,
    note: 'Target (issue 18): every page and API list under 300 ms with 1,000,000 jobs in the table.',
  };
}
