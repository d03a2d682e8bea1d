// Where a drain's time goes: one in-process drain of no-op jobs, with the CPU time the worker
// (Node.js) and PostgreSQL (every server process, read from /proc; Linux only) spent on it.
// When the two add up to about the machine's cores times the wall time, the drain is CPU-bound.
//
//   pnpm exec jiti scripts/drain-cpu.ts [jobs] [--cpu-profile FILE] [--functions] [--chain | --wide]
//
// The database is BENCH_DATABASE_URL, else DATABASE_URL, else the local PostgreSQL; the
// schema bench_drain_cpu is created and dropped. --cpu-profile writes a V8 profile of the
// drain (open it in Chrome DevTools). --functions prints the time each SQL function took
// (pg_stat_user_functions, with track_functions on for this script's sessions; it resets the
// database's statistics), totals over every call, waits for locks included. --chain drains
// workflow steps instead of plain jobs: runs of the bench's three-step chain, jobs / 3 of them;
// --wide drains one run of the bench's 1,000-wide fan-out and fan-in (jobs is ignored).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import { JobMaster, Worker } from 'jobmaster';
import { onBenchJob } from '../src/bench-tasks.js';
import { quiet } from '../src/systems/system.js';

const url = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = 'bench_drain_cpu';
const jobs = Number(process.argv[2] ?? 40_000);
const profileAt = process.argv.indexOf('--cpu-profile');
const profileFile = profileAt > 0 ? process.argv[profileAt + 1] : undefined;
const functions = process.argv.includes('--functions');
const chain = process.argv.includes('--chain');
const wide = process.argv.includes('--wide');
if (!Number.isSafeInteger(jobs) || jobs < 1)
  throw new Error(`usage: drain-cpu.ts [jobs] [--cpu-profile FILE] [--functions] [--chain | --wide]`);
// node-postgres passes PGOPTIONS to the server at connect, for the worker's pools too.
if (functions) process.env.PGOPTIONS = `${process.env.PGOPTIONS ?? ''} -c track_functions=all`;

/** CPU milliseconds used so far by every process named postgres (clock ticks of 10 ms). */
function postgresCpuMs(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      // The process ended while we read it.
    }
  }
  return total;
}

const pool = new pg.Pool({ connectionString: url, max: 2 });
const client = new JobMaster({ pool, schema });
await pool.query(`drop schema if exists ${schema} cascade`);
await client.deploy();
if (chain) {
  for (let n = 1; n <= Math.floor(jobs / 3); n++) await client.startWorkflow('bench-chain', { n });
} else if (wide) {
  await client.startWorkflow('bench-wide');
}
for (let i = 0; i < (chain || wide ? 0 : jobs); i += 1000) {
  const size = Math.min(1000, jobs - i);
  await client.enqueueMany(Array.from({ length: size }, (_, k) => ({ task: 'bench.noop', args: { n: i + k, t: 0 } })));
}

let count = 0;
onBenchJob(() => void count++);
const worker = new Worker({ databaseUrl: url, schema, node: 'drain-cpu', untilEmpty: true, logger: quiet });
const session = profileFile ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
if (functions) await pool.query('select pg_stat_reset()');
const postgresBefore = postgresCpuMs();
const nodeBefore = process.cpuUsage();
const started = performance.now();
await worker.run();
const wallMs = performance.now() - started;
const node = process.cpuUsage(nodeBefore);
const nodeMs = (node.user + node.system) / 1000;
const postgresMs = postgresCpuMs() - postgresBefore;
if (session) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(profileFile!, JSON.stringify(profile));
}
if (functions) {
  // The statistics reach the view when each backend reports them, at most half a second later.
  await new Promise((resolve) => setTimeout(resolve, 800));
  const { rows } = await pool.query(
    `select funcname as function, calls, round(total_time) as total_ms, round(self_time) as self_ms
       from pg_stat_user_functions where schemaname = $1 order by total_time desc`,
    [schema],
  );
  console.table(rows);
}
await pool.query(`drop schema if exists ${schema} cascade`);
await pool.end();

const perJob = (ms: number): string => `${((ms * 1000) / count).toFixed(1)} µs/job`;
console.log(`${count} jobs in ${wallMs.toFixed(0)} ms: ${Math.round((count / wallMs) * 1000)} jobs/s`);
console.log(`worker (Node.js) CPU ${nodeMs.toFixed(0)} ms (${perJob(nodeMs)}); PostgreSQL CPU ${postgresMs} ms (${perJob(postgresMs)})`);
console.log(`cores busy on average: ${((nodeMs + postgresMs) / wallMs).toFixed(2)} of ${availableParallelism()}`);
