// What completing a batch costs in the server, plain jobs against workflow steps: N jobs of
// each kind are put in the running state as one worker's, then complete_jobs is timed on all
// of them inside a transaction that is rolled back, several times (fastest and median). For steps it
// includes advancing each run: recording the step and starting the next one. No worker, no
// network in the figure: one statement's execution time, measured by the client around it.
//
//   pnpm exec jiti scripts/step-advance.ts [batch] [--repeat K]   (default 1,000 and 7)
//
// The database is BENCH_DATABASE_URL, else DATABASE_URL, else the local PostgreSQL; the
// schema bench_step_advance is created and dropped.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { JobMaster } from 'jobmaster';
import '../src/bench-tasks.js';

const url = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = 'bench_step_advance';
const batch = Number(process.argv[2] ?? 1000);
const repeatAt = process.argv.indexOf('--repeat');
const repeat = repeatAt > 0 ? Number(process.argv[repeatAt + 1]) : 7;
if (!Number.isSafeInteger(batch) || batch < 1 || !Number.isSafeInteger(repeat) || repeat < 1) {
  throw new Error('usage: step-advance.ts [batch] [--repeat K]');
}

const pool = new pg.Pool({ connectionString: url, max: 2 });
const client = new JobMaster({ pool, schema });
const s = `"${schema}"`;

async function running(): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `update ${s}.jobs set status = 'running', attempts = 1, started_at = now(), worker_id = 'bench', node = 'bench',
            lease_expires_at = now() + interval '1 hour'
      where status = 'waiting' returning id`,
  );
  return rows.map((r) => r.id).sort((a, b) => Number(a) - Number(b));
}

/** CPU milliseconds a server process has used (Linux: /proc, clock ticks of 10 ms); NaN elsewhere. */
function backendCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** CPU milliseconds the server spent in all the timed calls together (NaN when it is not on this machine). */
const cpu = { plain: 0, steps: 0 };

/** Milliseconds of complete_jobs over the ids, each call rolled back: [fastest, median]. */
async function timeCompletion(ids: string[], results: unknown[], kind: keyof typeof cpu): Promise<[number, number]> {
  const times: number[] = [];
  const conn = await pool.connect();
  try {
    const pid = (await conn.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    for (let i = 0; i < repeat + 1; i++) {
      await conn.query('begin');
      const cpuBefore = backendCpuMs(pid);
      const started = performance.now();
      await conn.query(`select count(*) from ${s}.complete_jobs('bench', $1::bigint[], $2::jsonb)`, [ids, JSON.stringify(results)]);
      const ms = performance.now() - started;
      const cpuMs = backendCpuMs(pid) - cpuBefore;
      await conn.query('rollback');
      // The first call plans and warms caches.
      if (i > 0) {
        times.push(ms);
        cpu[kind] += cpuMs;
      }
    }
  } finally {
    conn.release();
  }
  times.sort((a, b) => a - b);
  return [times[0]!, times[Math.floor(times.length / 2)]!];
}

await pool.query(`drop schema if exists ${s} cascade`);
await client.deploy();

await client.enqueueMany(Array.from({ length: batch }, (_, n) => ({ task: 'bench.noop', args: { n, t: 0 } })));
const plainIds = await running();
const plainMs = await timeCompletion(
  plainIds,
  plainIds.map(() => null),
  'plain',
);
await pool.query(`delete from ${s}.jobs`);

for (let n = 1; n <= batch; n++) await client.startWorkflow('bench-chain', { n });
await pool.query(`analyze ${s}.jobs, ${s}.workflow_runs, ${s}.workflow_run_steps`);
const stepIds = await running();
const stepMs = await timeCompletion(
  stepIds,
  stepIds.map((_, i) => ({ n: i + 1 })),
  'steps',
);
await pool.query(`drop schema if exists ${s} cascade`);
await pool.end();

const us = ([fastest, median]: [number, number]): string =>
  `${((fastest * 1000) / batch).toFixed(1)} µs/job fastest, ${((median * 1000) / batch).toFixed(1)} median`;
console.log(`complete_jobs on ${batch} running jobs, ${repeat} times each, rolled back:`);
console.log(`  plain jobs:            ${us(plainMs)}`);
console.log(`  first steps of chains: ${us(stepMs)}; ${(stepMs[0] / plainMs[0]).toFixed(2)}× plain (fastest)`);
const cpuUs = (ms: number): string => `${((ms * 1000) / (batch * repeat)).toFixed(1)} µs/job`;
console.log(`  server CPU, all calls: plain ${cpuUs(cpu.plain)}, steps ${cpuUs(cpu.steps)}; ${(cpu.steps / cpu.plain).toFixed(2)}× plain`);
