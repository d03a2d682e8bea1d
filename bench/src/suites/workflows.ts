import { type Table } from '../results.js';
import { WIDE_STEPS } from '../bench-tasks.js';
import { JobMasterProducer } from '../systems/jobmaster.js';
import type { Producer } from '../systems/system.js';
import { fill, type SuiteContext } from './context.js';
import type { DrainSpec } from './drain-run.js';
import { runDrainRows } from './drain.js';

/** Runs started per call, as plain jobs are enqueued in batches of 2,000 (`fill`). */
const START_BATCH = 2_000;

/** Starts `runs` runs of the three-step chain (not timed), a batch per call (startWorkflows). */
async function startChains(producer: Producer, runs: number): Promise<void> {
  const jm = (producer as JobMasterProducer).client;
  for (let from = 1; from <= runs; from += START_BATCH) {
    const size = Math.min(START_BATCH, runs - from + 1);
    await jm.startWorkflows(
      'bench-chain',
      Array.from({ length: size }, (_, i) => ({ n: from + i })),
    );
  }
}

/**
 * What a workflow step costs against a plain job: drains of the same number of no-op executions
 * as plain jobs and as workflow steps (a three-step chain, each step's result feeding the next,
 * at two numbers of runs to show whether advancing a run stays flat as runs grow; and one run with
 * a 1,000-wide fan-out and its fan-in). Timed like every drain: worker start to last commit.
 */
export async function workflowsSuite(ctx: SuiteContext): Promise<Table> {
  // How long each spec's queue took to fill (plain jobs enqueued, runs started), per run.
  const fillMs = new Map<string, number[]>();
  const timed =
    (key: string, fillQueue: (p: Producer) => Promise<number>) =>
    async (p: Producer): Promise<number> => {
      const started = performance.now();
      const executions = await fillQueue(p);
      fillMs.set(key, [...(fillMs.get(key) ?? []), performance.now() - started]);
      return executions;
    };
  const runs = Math.max(10, Math.floor(ctx.options.jobs / 4));
  const fewRuns = Math.max(1, Math.floor(runs / 10));
  const chainJobs = 3 * runs;
  const wideJobs = WIDE_STEPS + 2;
  const specs: DrainSpec[] = [
    {
      label: `plain jobs (${chainJobs.toLocaleString('en-US')})`,
      system: 'jobmaster',
      settings: {},
      prepare: timed('plain-chain', async (p) => (await fill(p, chainJobs), chainJobs)),
      key: 'plain-chain',
    },
    {
      label: `3-step chain × ${runs.toLocaleString('en-US')} runs (${chainJobs.toLocaleString('en-US')} steps)`,
      system: 'jobmaster',
      settings: {},
      prepare: timed('chain', async (p) => (await startChains(p, runs), chainJobs)),
      key: 'chain',
    },
    {
      label: `3-step chain × ${fewRuns.toLocaleString('en-US')} runs (${(3 * fewRuns).toLocaleString('en-US')} steps)`,
      system: 'jobmaster',
      settings: {},
      prepare: timed('chain-few', async (p) => (await startChains(p, fewRuns), 3 * fewRuns)),
      key: 'chain-few',
    },
    {
      label: `plain jobs (${wideJobs.toLocaleString('en-US')})`,
      system: 'jobmaster',
      settings: {},
      prepare: timed('plain-wide', async (p) => (await fill(p, wideJobs), wideJobs)),
      key: 'plain-wide',
    },
    {
      label: `one run: root, ${WIDE_STEPS.toLocaleString('en-US')}-wide fan-out, fan-in (${wideJobs.toLocaleString('en-US')} steps)`,
      system: 'jobmaster',
      settings: {},
      prepare: timed('wide', async (p) => (await (p as JobMasterProducer).client.startWorkflow('bench-wide'), wideJobs)),
      key: 'wide',
    },
  ];
  const rows = await runDrainRows(ctx, 'workflows', specs);
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const against: Record<string, string> = { chain: 'plain-chain', 'chain-few': 'plain-chain', wide: 'plain-wide' };
  const executions: Record<string, number> = {
    'plain-chain': chainJobs,
    chain: chainJobs,
    'chain-few': 3 * fewRuns,
    'plain-wide': wideJobs,
    wide: wideJobs,
  };
  // Whole cost per execution: filling the queue plus draining it.
  const wholeUs = (row: (typeof rows)[number]): number[] =>
    (row.metrics.rate ?? []).map((rate, run) => 1e6 / rate + ((fillMs.get(row.key!)?.[run] ?? Number.NaN) * 1000) / executions[row.key!]!);
  for (const row of rows) {
    const base = byKey.get(against[row.key ?? ''] ?? row.key)!;
    row.metrics.cost = (row.metrics.rate ?? []).map((rate, run) => (base.metrics.rate?.[run] ?? Number.NaN) / rate);
    row.metrics.perJob = (row.metrics.rate ?? []).map((rate) => 1e6 / rate);
    row.metrics.whole = wholeUs(row);
    const baseWhole = wholeUs(base);
    row.metrics.wholeCost = row.metrics.whole.map((us, run) => us / (baseWhole[run] ?? Number.NaN));
  }
  return {
    title: 'Workflow steps against plain jobs (JobMaster drains, no-op work)',
    columns: [
      { metric: 'rate', heading: 'fair jobs/s (worker start → last completion committed)', digits: 0, ratio: false },
      { metric: 'perJob', heading: 'µs per execution', digits: 0, ratio: false },
      { metric: 'cost', heading: 'drain cost vs plain (×)', digits: 2, ratio: false },
      { metric: 'whole', heading: 'µs per execution, enqueue or start included', digits: 0, ratio: false },
      { metric: 'wholeCost', heading: 'whole cost vs plain (×)', digits: 2, ratio: false },
      { metric: 'rss', heading: 'peak worker RSS (MB)', digits: 0, ratio: false },
    ],
    rows,
    note:
      'Each step is an ordinary job; a run advances in the transaction that completes its step (the next step is enqueued there). ' +
      'drain cost = plain rate / step rate of the same run, against plain jobs of the same count: a plain job was enqueued before the drain, ' +
      'while a step after the first is enqueued inside it, by the completion before it. The whole cost adds the time to fill the queue ' +
      '(plain jobs: enqueueMany in batches of 2,000; runs: startWorkflows in batches of 2,000), so both sides pay their enqueue. ' +
      'Targets: a step costs under 2× a plain job; ' +
      `advancing a run is flat in the number of runs (the chain's rate at ${runs.toLocaleString('en-US')} runs is not below its rate at ${fewRuns.toLocaleString('en-US')}; ` +
      'the smaller drain pays the same worker start-up over fewer jobs, so it is the stricter side).',
  };
}
