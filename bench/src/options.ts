/** What to run and how big, from the command line (`pnpm bench -- --runs 5 --only drain`). */
export interface BenchOptions {
  databaseUrl: string;
  /** Runs per row; the median is reported with the spread. (Default: 3) */
  runs: number;
  /** Jobs per drain and per batch-enqueue measurement. (Default: 20,000) */
  jobs: number;
  /** Jobs enqueued one at a time for the latency measurement, the p99's samples per run. (Default: 1,000) */
  latencyJobs: number;
  /** Queue sizes for the claim and status timings. (Default: 10k, 100k, 1M) */
  scaleSizes: number[];
  /** Jobs in the long drains: the memory check and the second fair drain table. (Default: 100,000) */
  longDrainJobs: number;
  /** Runs of each whole process in the start-up suite; the median is reported. (Default: 10) */
  startupRuns: number;
  /** Jobs in the table the serve suite times pages and API lists over. (Default: 1,000,000) */
  serveJobs: number;
  /** Suites to run. (Default: all) */
  only: Set<string>;
}

export const SUITES = [
  'enqueue',
  'drain',
  'drain-long',
  'latency',
  'startup',
  'features',
  'workflows',
  'memory',
  'scale',
  'ceiling',
  'serve',
] as const;

const USAGE = `usage: pnpm bench [-- options]
  --runs N             runs per row, median reported (default 3)
  --jobs N             jobs per drain / enqueue measurement (default 20000)
  --latency-jobs N     jobs for enqueue->start latency, p99 samples per run (default 1000)
  --scale LIST         queue sizes for claim/status timings (default 10000,100000,1000000)
  --long-drain N       jobs in the long drains: drain-long table and memory run (default 100000)
  --startup-runs N     runs of each whole process in the startup suite (default 10)
  --serve-jobs N       jobs in the table for the jm serve page and API timings (default 1000000)
  --only LIST          suites: ${SUITES.join(',')} (default all)
  --quick              small sizes for a smoke run (jobs 4000, latency 200, scale 10000,100000, long drain 20000, serve 100000, 1 run)
  --database-url URL   PostgreSQL to use (default BENCH_DATABASE_URL, DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)`;

function positive(flag: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer, got ${String(text)}\n${USAGE}`);
  return n;
}

/** Thrown by parseOptions for --help: the usage goes to stdout and the exit code is 0. */
export class HelpRequested extends Error {}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const options: BenchOptions = {
    databaseUrl: env.BENCH_DATABASE_URL ?? env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    runs: 3,
    jobs: 20_000,
    latencyJobs: 1_000,
    scaleSizes: [10_000, 100_000, 1_000_000],
    longDrainJobs: 100_000,
    startupRuns: 10,
    serveJobs: 1_000_000,
    only: new Set(SUITES),
  };
  const args = argv.filter((a) => a !== '--');
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--runs') options.runs = positive(flag, value());
    else if (flag === '--jobs') options.jobs = positive(flag, value());
    else if (flag === '--latency-jobs') options.latencyJobs = positive(flag, value());
    else if (flag === '--long-drain') options.longDrainJobs = positive(flag, value());
    else if (flag === '--startup-runs') options.startupRuns = positive(flag, value());
    else if (flag === '--serve-jobs') options.serveJobs = positive(flag, value());
    else if (flag === '--scale')
      options.scaleSizes = value()
        .split(',')
        .map((s) => positive(flag, s));
    else if (flag === '--database-url') options.databaseUrl = value();
    else if (flag === '--only') {
      const names = value().split(',');
      const unknown = names.filter((n) => !(SUITES as readonly string[]).includes(n));
      if (unknown.length > 0) throw new Error(`--only: unknown suite ${unknown.join(', ')}\n${USAGE}`);
      options.only = new Set(names);
    } else if (flag === '--quick') {
      Object.assign(options, {
        runs: 1,
        jobs: 4_000,
        latencyJobs: 200,
        scaleSizes: [10_000, 100_000],
        longDrainJobs: 20_000,
        serveJobs: 100_000,
      });
    } else if (flag === '--help' || flag === '-h') {
      throw new HelpRequested(USAGE);
    } else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  return options;
}
