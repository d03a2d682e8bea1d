import { resolveWorkerOptions } from 'jobmaster';
import { type Table } from '../results.js';
import { runWorkerChild } from '../worker-process.js';
import { JobMasterProducer } from '../systems/jobmaster.js';
import { SCHEMAS, type Producer } from '../systems/system.js';
import { fill, payloads, type SuiteContext } from './context.js';
import type { DrainSpec } from './drain-run.js';
import { runDrainRows } from './drain.js';

const BATCH = 2_000;

async function fillKind(producer: Producer, kind: 'dependent' | 'fan', count: number): Promise<void> {
  const jm = producer as JobMasterProducer;
  for (let from = 1; from <= count; from += BATCH) await jm.enqueueKind(kind, payloads(Math.min(BATCH, count - from + 1), from));
}

/**
 * What JobMaster's features cost: the default drain of no-op jobs beside the same drain with a
 * tight process-unit budget, with one already-satisfied dependency per job, and through write-all
 * fan-out (jobs/10 parents with "ALL" over ten regions, so the same number of executions).
 */
export async function featuresSuite(ctx: SuiteContext): Promise<Table> {
  const jobs = ctx.options.jobs;
  const plain = 'plain drain (defaults: budget 10,000 units, concurrency 10)';
  const claimBatch = resolveWorkerOptions({}).claimBatchSize.toLocaleString('en-US');
  const specs: DrainSpec[] = [
    { label: plain, system: 'jobmaster', settings: {}, prepare: async (p) => (await fill(p, jobs), jobs) },
    {
      label: `process units, budget 1,000 units (less than one claim batch of ${claimBatch}: it binds)`,
      system: 'jobmaster',
      settings: { processUnits: 1_000 },
      prepare: async (p) => (await fill(p, jobs), jobs),
    },
    {
      label: 'process units, budget 10 units for 10 slots (full whenever every slot is)',
      system: 'jobmaster',
      settings: { processUnits: 10 },
      prepare: async (p) => (await fill(p, jobs), jobs),
      timeBoxMs: 30_000,
    },
    {
      label: 'one already-satisfied dependency per job',
      system: 'jobmaster',
      settings: {},
      prepare: async (p) => {
        // The prerequisite job runs (and completes) first, through a worker like any job.
        await (p as JobMasterProducer).client.enqueue('bench.prerequisite', { k: 1 });
        await runWorkerChild(
          { system: 'jobmaster', url: ctx.options.databaseUrl, schema: SCHEMAS.jobmaster, settings: { untilEmpty: true }, expected: 1 },
          { timeBoxMs: 10_000 },
        );
        await fillKind(p, 'dependent', jobs);
        return jobs;
      },
    },
    {
      label: `write-all fan-out (${(jobs / 10).toLocaleString('en-US')} parents × 10 regions)`,
      system: 'jobmaster',
      settings: {},
      prepare: async (p) => (await fillKind(p, 'fan', Math.floor(jobs / 10)), Math.floor(jobs / 10) * 10),
    },
  ];
  const rows = await runDrainRows(ctx, 'features', specs);
  const base = rows[0]!;
  const table: Table = {
    title: `Feature costs: JobMaster drains of ${jobs.toLocaleString('en-US')} job executions`,
    columns: [
      { metric: 'rate', heading: 'fair jobs/s (worker start → last completion committed)', digits: 0, ratio: false },
      { metric: 'rss', heading: 'peak worker RSS (MB)', digits: 0, ratio: false },
      { metric: 'cost', heading: 'cost vs plain (%)', digits: 0, ratio: false },
    ],
    rows,
    note: 'jobs/s timed as in the drain table (worker start to the last completion committed). cost = 1 − rate / plain rate of the same run (negative: faster than the plain drain, i.e. noise). Target: under 25% for process units and satisfied dependencies.',
  };
  for (const row of rows) {
    row.metrics.cost = (row.metrics.rate ?? []).map((rate, run) => 100 * (1 - rate / (base.metrics.rate?.[run] ?? Number.NaN)));
  }
  return table;
}
