import { resolveWorkerOptions } from 'jobmaster';
import { newRow, record, type Row, type Table } from '../results.js';
import { fill, type SuiteContext } from './context.js';
import { runDrain, type DrainSpec } from './drain-run.js';

const SLOW_BOX_MS = 15_000;

/** The drain configurations: each system at its defaults and at its best documented settings. */
export function drainSpecs(jobs: number): DrainSpec[] {
  const noop = async (producer: Parameters<DrainSpec['prepare']>[0]): Promise<number> => {
    await fill(producer, jobs);
    return jobs;
  };
  const defaults = resolveWorkerOptions({});
  const n = (value: number): string => value.toLocaleString('en-US');
  const graphilePerf = { concurrency: 24, maxPoolSize: 25, localQueueSize: 1000, completeJobBatchDelay: 0, failJobBatchDelay: 0 };
  return [
    {
      label: `JobMaster defaults (concurrency ${n(defaults.concurrency)}, claim batch up to ${n(defaults.claimBatchSize)}, outcome batch ${n(defaults.completeBatchSize)})`,
      system: 'jobmaster',
      settings: {},
      prepare: noop,
    },
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
    {
      label: 'graphile-worker perf settings (concurrency 24, pool 25, localQueue 1000, batch delays 0), 1 pool',
      system: 'graphile-worker',
      settings: graphilePerf,
      prepare: noop,
    },
    {
      label: 'graphile-worker perf settings, 2 pools in one process',
      system: 'graphile-worker',
      settings: { ...graphilePerf, pools: 2 },
      prepare: noop,
    },
    { label: 'pg-boss defaults (batchSize 1, 2 s poll)', system: 'pg-boss', settings: {}, prepare: noop, timeBoxMs: SLOW_BOX_MS },
    {
      label: 'pg-boss batchSize 100, localConcurrency 10, LISTEN/NOTIFY, burst',
      system: 'pg-boss',
      settings: { batchSize: 100, localConcurrency: 10, listenNotify: true, burstWhenBatchFull: true },
      prepare: noop,
    },
    {
      label: 'pg-boss batchSize 1000, LISTEN/NOTIFY, burst',
      system: 'pg-boss',
      settings: { batchSize: 1000, listenNotify: true, burstWhenBatchFull: true },
      prepare: noop,
    },
  ];
}

/** Runs specs `runs` times, interleaved (run 1 of every spec, then run 2...) so noise spreads evenly. */
export async function runDrainRows(ctx: SuiteContext, name: string, specs: DrainSpec[]): Promise<Row[]> {
  const rows = specs.map((s) => newRow(s.label, s.system));
  for (let run = 1; run <= ctx.options.runs; run++) {
    for (const [i, spec] of specs.entries()) {
      const row = rows[i]!;
      try {
        const result = await runDrain(ctx, spec);
        record(row, 'rate', result.rate);
        record(row, 'rss', result.peakRssMb);
        if (result.report.timedOut) {
          const note = `time-boxed at ${((spec.timeBoxMs ?? 180_000) / 1000).toFixed(0)} s (${result.report.count.toLocaleString('en-US')} jobs done)`;
          if (!row.notes.some((n) => n.startsWith('time-boxed'))) row.notes.push(note);
        }
        ctx.log(`${name} run ${run}: ${spec.label}: ${Math.round(result.rate)} jobs/s, peak RSS ${result.peakRssMb.toFixed(0)} MB`);
      } catch (error) {
        row.notes.push(`run ${run} failed: ${(error as Error).message}`);
        ctx.log(`${name} run ${run}: ${spec.label}: FAILED ${(error as Error).message}`);
      }
    }
  }
  return rows;
}

/** Processed no-op jobs/s draining `jobs` jobs, with the worker's peak memory. */
export async function drainSuite(ctx: SuiteContext): Promise<Table> {
  const specs = drainSpecs(ctx.options.jobs);
  const rows = await runDrainRows(ctx, 'drain', specs);
  return {
    title: `Processed no-op jobs/s, draining ${ctx.options.jobs.toLocaleString('en-US')} jobs (worker in its own process)`,
    columns: [
      { metric: 'rate', heading: 'jobs/s', digits: 0, ratio: true },
      { metric: 'rss', heading: 'peak worker RSS (MB)', digits: 0, ratio: false },
    ],
    rows,
    reference: specs[0]!.label,
    note: 'jobs/s counts from the first job start to the last job start seen by the handler; ours/theirs > 1 means JobMaster (defaults) is faster.',
  };
}
