import { resolveWorkerOptions } from 'jobmaster';
import { newRow, record, type Row, type Table } from '../results.js';
import { figure } from '../stats.js';
import { fill, type SuiteContext } from './context.js';
import { runDrain, type DrainSpec } from './drain-run.js';

const SLOW_BOX_MS = 15_000;
/** pg-boss's localConcurrency values tried at its best batch settings; the best of them is named in the targets. */
export const PG_BOSS_LOCAL_CONCURRENCY = [1, 2, 4] as const;
const GRAPHILE_PERF = { concurrency: 24, maxPoolSize: 25, localQueueSize: 1000, completeJobBatchDelay: 0, failJobBatchDelay: 0 };
const PG_BOSS_BEST = { batchSize: 1000, listenNotify: true, burstWhenBatchFull: true };

function filler(jobs: number, batch = 2_000): DrainSpec['prepare'] {
  return async (producer) => {
    await fill(producer, jobs, batch);
    return jobs;
  };
}

const n = (value: number): string => value.toLocaleString('en-US');

/** The JobMaster row every ratio compares with: the worker at its defaults. */
export function jobMasterDefaultsLabel(): string {
  const defaults = resolveWorkerOptions({});
  return `JobMaster defaults (concurrency ${n(defaults.concurrency)}, claim batch up to ${n(defaults.claimBatchSize)}, outcome batch ${n(defaults.completeBatchSize)})`;
}

/** graphile-worker at its performance page's settings, with 1 or 2 runners (pools) in one process. */
export function graphileBestSpecs(prepare: DrainSpec['prepare']): DrainSpec[] {
  return [
    {
      label: 'graphile-worker perf settings (concurrency 24, pool 25, localQueue 1000, batch delays 0), 1 pool',
      system: 'graphile-worker',
      settings: GRAPHILE_PERF,
      prepare,
      key: 'graphile-1',
    },
    {
      label: 'graphile-worker perf settings, 2 pools in one process',
      system: 'graphile-worker',
      settings: { ...GRAPHILE_PERF, pools: 2 },
      prepare,
      key: 'graphile-2',
    },
  ];
}

/** pg-boss at its best documented settings with the given localConcurrency. */
export function pgBossBestSpec(localConcurrency: number, prepare: DrainSpec['prepare']): DrainSpec {
  return {
    label: `pg-boss batchSize 1000, LISTEN/NOTIFY, burst, localConcurrency ${localConcurrency}`,
    system: 'pg-boss',
    settings: { ...PG_BOSS_BEST, localConcurrency },
    prepare,
    key: `pg-boss-lc${localConcurrency}`,
  };
}

/** The drain configurations: each system at its defaults and at its best documented settings. */
export function drainSpecs(jobs: number): DrainSpec[] {
  const noop = filler(jobs);
  return [
    { label: jobMasterDefaultsLabel(), system: 'jobmaster', settings: {}, prepare: noop, key: 'jobmaster' },
    { label: 'JobMaster concurrency 1', system: 'jobmaster', settings: { concurrency: 1 }, prepare: noop },
    { label: 'JobMaster concurrency 100', system: 'jobmaster', settings: { concurrency: 100 }, prepare: noop },
    {
      label: 'graphile-worker defaults (concurrency 1, no batching)',
      system: 'graphile-worker',
      settings: {},
      prepare: noop,
      timeBoxMs: SLOW_BOX_MS,
    },
    { label: 'graphile-worker concurrency 10, no batching', system: 'graphile-worker', settings: { concurrency: 10 }, prepare: noop },
    ...graphileBestSpecs(noop),
    { label: 'pg-boss defaults (batchSize 1, 2 s poll)', system: 'pg-boss', settings: {}, prepare: noop, timeBoxMs: SLOW_BOX_MS },
    {
      label: 'pg-boss batchSize 100, localConcurrency 10, LISTEN/NOTIFY, burst',
      system: 'pg-boss',
      settings: { batchSize: 100, localConcurrency: 10, listenNotify: true, burstWhenBatchFull: true },
      prepare: noop,
    },
    ...PG_BOSS_LOCAL_CONCURRENCY.map((lc) => pgBossBestSpec(lc, noop)),
  ];
}

/** Runs specs `runs` times, interleaved (run 1 of every spec, then run 2...) so noise spreads evenly. */
export async function runDrainRows(ctx: SuiteContext, name: string, specs: DrainSpec[]): Promise<Row[]> {
  const rows = specs.map((s) => newRow(s.label, s.system, s.key));
  for (let run = 1; run <= ctx.options.runs; run++) {
    for (const [i, spec] of specs.entries()) {
      const row = rows[i]!;
      try {
        const result = await runDrain(ctx, spec);
        record(row, 'rate', result.rate);
        record(row, 'startRate', result.startRate);
        record(row, 'startup', result.startupMs);
        record(row, 'tail', result.tailMs);
        record(row, 'step', result.watchStepMs);
        record(row, 'rss', result.peakRssMb);
        if (result.report.timedOut) {
          const note = `time-boxed at ${((spec.timeBoxMs ?? 180_000) / 1000).toFixed(0)} s (${n(result.finished)} jobs committed)`;
          if (!row.notes.some((note) => note.startsWith('time-boxed'))) row.notes.push(note);
        }
        ctx.log(
          `${name} run ${run}: ${spec.label}: ${Math.round(result.rate)} jobs/s start to last commit ` +
            `(${Math.round(result.startRate)} first to last start; start-up ${result.startupMs.toFixed(0)} ms, ` +
            `last start to commit ${result.tailMs.toFixed(0)} ms), peak RSS ${result.peakRssMb.toFixed(0)} MB`,
        );
      } catch (error) {
        row.notes.push(`run ${run} failed: ${(error as Error).message}`);
        ctx.log(`${name} run ${run}: ${spec.label}: FAILED ${(error as Error).message}`);
      }
    }
  }
  return rows;
}

/** The drain table's columns: the fair rate first, the old first-start-to-last-start rate beside it. */
export const DRAIN_COLUMNS: Table['columns'] = [
  { metric: 'rate', heading: 'fair jobs/s (worker start → last completion committed)', digits: 0, ratio: true },
  { metric: 'startRate', heading: 'old jobs/s (first job start → last job start)', digits: 0, ratio: true },
  { metric: 'startup', heading: 'worker start → first job start (ms)', digits: 0, ratio: false },
  { metric: 'tail', heading: 'last job start → last completion committed (ms)', digits: 0, ratio: false },
  { metric: 'step', heading: 'watch step (ms)', digits: 1, ratio: false },
  { metric: 'rss', heading: 'peak worker RSS (MB)', digits: 0, ratio: false },
];

export const DRAIN_NOTE =
  'The first column is the fair figure, the same for every system: from just before the worker is constructed and started in its ' +
  'process (modules already loaded) until the benchmark process, polling on its own connection once the handler has started every job, ' +
  "first sees no job left unfinished by the system's own meaning (JobMaster: status no longer waiting or running, i.e. 'complete'; " +
  "graphile-worker: the row deleted; pg-boss: state 'completed'). A poll's snapshot is taken as it starts, so that start bounds the " +
  "last commit from above, and the commit came after the previous poll's start: the watch step is that window (the error bound; n/a when the first poll already saw none, so the commit fell within the column before). The second column is the old figure (handler view, start-up and the last completion write left out). " +
  'Time-boxed rows divide the jobs committed when the box ends by the time since the worker started. ours/theirs > 1 means JobMaster (defaults) is faster.';

/** The best median of the rows whose key starts with `prefix` (e.g. the best of pg-boss's localConcurrency rows). */
export function bestRow(rows: Row[], prefix: string, metric = 'rate'): Row | undefined {
  let best: Row | undefined;
  for (const row of rows) {
    if (!row.key?.startsWith(prefix)) continue;
    const value = figure(row.metrics[metric] ?? []).median;
    if (Number.isFinite(value) && (!best || value > figure(best.metrics[metric] ?? []).median)) best = row;
  }
  return best;
}

/** Processed no-op jobs/s draining `jobs` jobs, with the worker's peak memory. */
export async function drainSuite(ctx: SuiteContext): Promise<Table> {
  const specs = drainSpecs(ctx.options.jobs);
  const rows = await runDrainRows(ctx, 'drain', specs);
  const bestBoss = bestRow(rows, 'pg-boss-lc');
  if (bestBoss) bestBoss.notes.push(`pg-boss's best of localConcurrency ${PG_BOSS_LOCAL_CONCURRENCY.join(', ')} in this run`);
  return {
    title: `Processed no-op jobs/s, draining ${n(ctx.options.jobs)} jobs (worker in its own process)`,
    columns: DRAIN_COLUMNS,
    rows,
    reference: specs[0]!.label,
    note: DRAIN_NOTE,
  };
}
