/**
 * Benchmark (not a test): what recording failure alerts costs the failure path. Fails
 * 20,000 running jobs with `fail_jobs`, in batches of 1,000 as a worker writes them, with
 * today's definition (which inserts one job_alerts row per failed attempt in the same
 * statement) and with the definition of a git ref from before alerts, alternating, each
 * run in a transaction that is rolled back.
 *
 *   pnpm build
 *   pnpm exec jiti bench/scripts/fail-jobs-alerts.ts [DATABASE_URL] [--before REF] [--jobs N] [--attempts final|retry]
 *
 * REF defaults to 271a96c (main before alerts). `--attempts retry` gives the jobs attempts
 * left, so each failure is a retry (an alert with final = false) rather than a final failure.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { deploy } from 'jobmaster';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const JOBS = Number(flag('--jobs', '20000'));
const BATCH = 1_000;
const BEFORE = flag('--before', '271a96c');
const RETRY = flag('--attempts', 'final') === 'retry';
const url = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `jm_bench_${randomBytes(4).toString('hex')}`;
const ROUNDS = 5;
const FILE = 'packages/jobmaster/sql/functions/fail_jobs.sql';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function filled(text: string): string {
  return text.replace(/:channel_literal\b/g, `'jm:${schema}'`).replace(/:schema\b/g, `"${schema}"`);
}

const definitions = {
  before: filled(execFileSync('git', ['show', `${BEFORE}:${FILE}`], { cwd: ROOT, encoding: 'utf8' })),
  after: filled(readFileSync(`${ROOT}${FILE}`, 'utf8')),
};

const pool = new pg.Pool({ connectionString: url, max: 2 });
try {
  await deploy(pool, { schema, definitions: [] });
  await pool.query(`insert into "${schema}".tasks (type_key, task_key) values ('bench', 'fail')`);
  await pool.query(
    `insert into "${schema}".jobs (type_key, task_key, arguments, process_units, max_attempts, status, worker_id, node, pid,
                                   attempts, started_at, lease_expires_at)
     select 'bench', 'fail', jsonb_build_object('n', g, 'path', '/data/input/' || g || '.csv'), 1, $2, 'running', 'w', 'bench-node', 1,
            1, now(), now() + interval '1 hour'
       from generate_series(1, $1::int) g`,
    [JOBS, RETRY ? 3 : 1],
  );
  await pool.query(`analyze "${schema}".jobs`);
  const { rows } = await pool.query<{ id: string }>(`select id::text from "${schema}".jobs order by id`);
  const batches: string[] = [];
  for (let i = 0; i < rows.length; i += BATCH) {
    batches.push(
      JSON.stringify(rows.slice(i, i + BATCH).map((r) => ({ id: Number(r.id), message: 'boom', stack: 'Error: boom\n    at x' }))),
    );
  }

  const times: Record<keyof typeof definitions, number[]> = { before: [], after: [] };
  const client = await pool.connect();
  try {
    for (let round = 0; round <= ROUNDS; round++) {
      for (const variant of ['before', 'after'] as const) {
        await client.query(definitions[variant]);
        await client.query('begin');
        const start = process.hrtime.bigint();
        for (const batch of batches) await client.query(`select count(*) from "${schema}".fail_jobs('w', $1::jsonb)`, [batch]);
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        const { rows: alerts } = await client.query<{ n: number }>(`select count(*)::int as n from "${schema}".job_alerts`);
        await client.query('rollback');
        if (round > 0) times[variant].push(ms); // round 0 warms up
        if (round === 1) console.log(`${variant}: ${alerts[0]!.n} alert rows written`);
      }
    }
  } finally {
    client.release();
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`Failing ${JOBS} jobs (${RETRY ? 'retries' : 'final failures'}) in batches of ${BATCH}, median of ${ROUNDS}:`);
  for (const variant of ['before', 'after'] as const) {
    const m = median(times[variant]);
    console.log(
      `  ${variant.padEnd(7)}${m.toFixed(0).padStart(6)} ms  (${((m / JOBS) * 1000).toFixed(1)} µs/job; runs ${times[variant].map((t) => t.toFixed(0)).join(', ')})`,
    );
  }
} finally {
  await pool.query(`drop schema if exists "${schema}" cascade`).catch(() => {});
  await pool.end();
}
