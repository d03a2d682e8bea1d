import { newRow, record, type Table } from '../results.js';
import { nowMs } from '../stats.js';
import type { SystemName } from '../systems/system.js';
import { payloads, producerFor, type SuiteContext } from './context.js';

const BATCH = 1_000;
const SYSTEMS: Array<{ system: SystemName; label: string }> = [
  { system: 'jobmaster', label: 'JobMaster `enqueueMany` (validated, deduplicated)' },
  { system: 'graphile-worker', label: 'graphile-worker 0.18.0 `addJobs`' },
  { system: 'pg-boss', label: 'pg-boss 12.38.0 `insert`' },
];

/** Batch enqueue: `jobs` jobs in batches of 1,000 from one client, into a fresh schema each run. */
export async function enqueueSuite(ctx: SuiteContext): Promise<Table> {
  const { jobs, runs, databaseUrl } = ctx.options;
  const rows = SYSTEMS.map((s) => newRow(s.label, s.system, s.system));
  for (let run = 1; run <= runs; run++) {
    for (const [i, s] of SYSTEMS.entries()) {
      const producer = producerFor(s.system, databaseUrl);
      await producer.setup();
      try {
        const all = payloads(jobs);
        await producer.enqueueBatch(payloads(10, jobs + 1)); // warm up connections and plans
        const started = nowMs();
        for (let from = 0; from < jobs; from += BATCH) await producer.enqueueBatch(all.slice(from, from + BATCH));
        const rate = jobs / ((nowMs() - started) / 1000);
        record(rows[i]!, 'rate', rate);
        ctx.log(`enqueue run ${run}: ${s.system} ${Math.round(rate)} jobs/s`);
      } finally {
        await producer.teardown();
      }
    }
  }
  return {
    title: `Batch enqueue (${jobs.toLocaleString('en-US')} jobs in batches of ${BATCH.toLocaleString('en-US')}, one client)`,
    columns: [{ metric: 'rate', heading: 'jobs/s', digits: 0, ratio: true }],
    rows,
    reference: SYSTEMS[0]!.label,
  };
}
