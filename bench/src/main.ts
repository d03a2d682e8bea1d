// `pnpm bench`: JobMaster, graphile-worker and pg-boss measured side by side on one PostgreSQL,
// printed as Markdown tables (progress goes to stderr). See docs/benchmarks.md.
import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import pg from 'pg';
import './bench-tasks.js';
import { HelpRequested, parseOptions, type BenchOptions } from './options.js';
import { renderTable, type Table } from './results.js';
import { ceilingSuite } from './suites/ceiling.js';
import type { SuiteContext } from './suites/context.js';
import { drainLongSuite } from './suites/drain-long.js';
import { drainSuite } from './suites/drain.js';
import { enqueueSuite } from './suites/enqueue.js';
import { featuresSuite } from './suites/features.js';
import { latencySuite } from './suites/latency.js';
import { memorySuite } from './suites/memory.js';
import { scaleSuite } from './suites/scale.js';
import { serveSuite } from './suites/serve.js';
import { startupSuite } from './suites/startup.js';
import { workflowsSuite } from './suites/workflows.js';
import { SCHEMAS } from './systems/system.js';
import { targetsMarkdown } from './targets.js';

function version(name: string): string {
  try {
    // Read through node_modules: some packages' exports maps hide package.json from require.resolve.
    const path = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

async function describeMachine(options: BenchOptions): Promise<string> {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 1 });
  try {
    const { rows } = await pool.query<{ version: string; sync: string; shared: string }>(
      `select version() as version, current_setting('synchronous_commit') as sync, current_setting('shared_buffers') as shared`,
    );
    const db = rows[0]!;
    const gb = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(1)} GB`;
    return [
      '## Machine and versions',
      '',
      `- CPU: ${cpuModel()}, ${cpus().length} logical cores; memory ${gb(totalmem())} (${gb(freemem())} free at start)`,
      `- Load average at start: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')}`,
      `- Node.js ${process.version}; ${db.version.split(' on ')[0]} (synchronous_commit ${db.sync}, shared_buffers ${db.shared})`,
      `- jobmaster ${version('jobmaster')}, graphile-worker ${version('graphile-worker')}, pg-boss ${version('pg-boss')}, pg ${version('pg')}`,
      `- Runs per row: ${options.runs} (median, with min–max); jobs per drain: ${options.jobs.toLocaleString('en-US')}`,
      `- Command: pnpm bench${
        process.argv.length > 2
          ? ` -- ${process.argv
              .slice(2)
              .filter((a) => a !== '--')
              .join(' ')}`
          : ''
      }`,
    ].join('\n');
  } finally {
    await pool.end();
  }
}

async function dropLeftovers(url: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    for (const schema of [...Object.values(SCHEMAS), 'bench_ceiling']) await pool.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await pool.end();
  }
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(error.message);
      return;
    }
    console.error((error as Error).message);
    process.exitCode = 2;
    return;
  }
  const ctx: SuiteContext = { options, log: (line) => process.stderr.write(`[bench] ${line}\n`), tables: new Map() };
  console.log(await describeMachine(options));
  await dropLeftovers(options.databaseUrl);
  const suites: Array<[string, (c: SuiteContext) => Promise<Table>]> = [
    ['enqueue', enqueueSuite],
    ['drain', drainSuite],
    ['drain-long', drainLongSuite],
    ['latency', latencySuite],
    ['startup', startupSuite],
    ['features', featuresSuite],
    ['workflows', workflowsSuite],
    ['memory', memorySuite],
    ['scale', scaleSuite],
    ['ceiling', ceilingSuite],
    ['serve', serveSuite],
  ];
  try {
    for (const [name, suite] of suites) {
      if (!options.only.has(name)) continue;
      const started = Date.now();
      const table = await suite(ctx);
      ctx.tables.set(name, table);
      console.log(
        `\n${renderTable(table)}\n\n_${name}: ${((Date.now() - started) / 1000).toFixed(0)} s, load average after ${loadavg()[0]!.toFixed(2)}_`,
      );
    }
    console.log(`\n${targetsMarkdown(ctx.tables, options)}`);
  } finally {
    await dropLeftovers(options.databaseUrl);
  }
}

await main();
