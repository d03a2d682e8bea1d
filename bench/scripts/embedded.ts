/**
 * Benchmark (not a test): the embedded database (PGlite served from a data directory)
 * beside a PostgreSQL server: time of the first command (creating the database) and of later
 * ones, peak memory of the `jm` process and of the serving process, and jobs/s for no-op jobs.
 *
 *   pnpm build
 *   pnpm exec jiti bench/scripts/embedded.ts [DATABASE_URL] [--jobs N]
 *
 * DATABASE_URL defaults to $BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres.
 * Peak memory needs Linux (/usr/bin/time and /proc); elsewhere it prints "n/a".
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createEmbeddedPool } from '@jobmaster/embedded';
import { createPool, enqueueJobs } from 'jobmaster';

const args = process.argv.slice(2);
const jobsFlag = args.indexOf('--jobs');
const jobs = jobsFlag >= 0 ? Number(args[jobsFlag + 1]) : 2000;
const serverUrl =
  args.find((a) => a.startsWith('postgres')) ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const root = fileURLToPath(new URL('../../', import.meta.url));
const jmEntry = join(root, 'packages/cli/dist/main.js');
const tasks = ['--tasks', join(root, 'bench/scripts/noop_tasks.ts')];
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

interface Run {
  seconds: number;
  maxRssMb: number | undefined;
  stdout: string;
}

function jm(argv: string[], env: NodeJS.ProcessEnv): Run {
  const command = timeBin ? [timeBin, '-f', '%M', process.execPath, jmEntry, ...argv] : [process.execPath, jmEntry, ...argv];
  const started = performance.now();
  const result = spawnSync(command[0]!, command.slice(1), { env, encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`jm ${argv.join(' ')} failed: ${result.stderr}`);
  const kb = timeBin ? Number(result.stderr.trim().split('\n').at(-1)) : NaN;
  return { seconds, maxRssMb: Number.isFinite(kb) ? kb / 1024 : undefined, stdout: result.stdout };
}

function serverPeakMb(dataDir: string): number | undefined {
  try {
    const { pid } = JSON.parse(readFileSync(join(dataDir, 'server.lock'), 'utf8')) as { pid: number };
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return hwm ? Number(hwm[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function waitForIdleExit(dataDir: string): Promise<void> {
  while (existsSync(join(dataDir, 'server.lock'))) await new Promise((r) => setTimeout(r, 100));
}

const mb = (n: number | undefined): string => (n === undefined ? 'n/a' : `${n.toFixed(0)} MB`);
const s = (n: number): string => `${n.toFixed(2)} s`;

async function enqueueNoops(pool: pg.Pool, schema: string): Promise<void> {
  for (let i = 0; i < jobs; i += 500) {
    await enqueueJobs(
      pool,
      schema,
      Array.from({ length: Math.min(500, jobs - i) }, (_, k) => ({ typeKey: 'noop_tasks', taskKey: 'noop', args: { n: i + k } })),
    );
  }
}

function jobsPerSecond(run: Run): string {
  return `${(jobs / run.seconds).toFixed(0)} jobs/s (${s(run.seconds)} for ${jobs}, process included)`;
}

const env = { ...process.env };
delete env.DATABASE_URL;
const dataDir = mkdtempSync(join(tmpdir(), 'jm-bench-embedded-'));
const embeddedEnv = { ...env, JM_DATA_DIR: dataDir, NO_COLOR: '1' };
try {
  console.log(`Embedded database in ${dataDir}`);
  const created = jm(['deploy', ...tasks], embeddedEnv);
  console.log(`  first command (jm deploy, creates the database): ${s(created.seconds)}, jm process peak ${mb(created.maxRssMb)}`);
  const warm = jm(['enqueue', 'noop_tasks', 'noop', '--arg', 'n=-1', ...tasks], embeddedEnv);
  console.log(`  later command, server already running (jm enqueue): ${s(warm.seconds)}, jm process peak ${mb(warm.maxRssMb)}`);
  console.log(`  serving process peak so far (includes creating the database): ${mb(serverPeakMb(dataDir))}`);
  await waitForIdleExit(dataDir);
  const cold = jm(['enqueue', 'noop_tasks', 'noop', '--arg', 'n=-2', ...tasks], embeddedEnv);
  console.log(`  later command, server started by it (jm enqueue): ${s(cold.seconds)}, jm process peak ${mb(cold.maxRssMb)}`);

  const pool = createEmbeddedPool({ dataDir, max: 2 });
  await enqueueNoops(pool, 'jobmaster');
  await pool.end();
  const ran = jm(['run', '--until-empty', '--json', ...tasks], embeddedEnv);
  console.log(
    `  jm run --until-empty: ${jobsPerSecond(ran)}, jm process peak ${mb(ran.maxRssMb)}, serving process peak ${mb(serverPeakMb(dataDir))}`,
  );
} finally {
  await waitForIdleExit(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
}

const schema = `bench_embedded_${process.pid}`;
const serverEnv = { ...env, DATABASE_URL: serverUrl, JM_SCHEMA: schema, NO_COLOR: '1' };
const pool = createPool(serverUrl, { max: 2 });
try {
  console.log(`Server ${serverUrl.replace(/:[^:@/]*@/, ':***@')} (schema ${schema})`);
  const deployed = jm(['deploy', ...tasks], serverEnv);
  console.log(`  jm deploy: ${s(deployed.seconds)}, jm process peak ${mb(deployed.maxRssMb)}`);
  const enqueued = jm(['enqueue', 'noop_tasks', 'noop', '--arg', 'n=-1', ...tasks], serverEnv);
  console.log(`  jm enqueue: ${s(enqueued.seconds)}, jm process peak ${mb(enqueued.maxRssMb)}`);
  await enqueueNoops(pool, schema);
  const ran = jm(['run', '--until-empty', '--json', ...tasks], serverEnv);
  console.log(`  jm run --until-empty: ${jobsPerSecond(ran)}, jm process peak ${mb(ran.maxRssMb)}`);
} finally {
  await pool.query(`drop schema if exists "${schema}" cascade`);
  await pool.end();
}
