import { newRow, record, type Table } from '../results.js';
import { percentile, nowMs, sleep } from '../stats.js';
import { runWorkerChild } from '../worker-process.js';
import { SCHEMAS, type SystemName, type WorkerSettings } from '../systems/system.js';
import { producerFor, type SuiteContext } from './context.js';

const SPACING_MS = 20;
const WARM_UP = 10;
const CONFIGS: Array<{ system: SystemName; label: string; settings: WorkerSettings }> = [
  { system: 'jobmaster', label: 'JobMaster defaults (LISTEN/NOTIFY)', settings: {} },
  { system: 'graphile-worker', label: 'graphile-worker 0.18.0, concurrency 10, no batching', settings: { concurrency: 10 } },
  { system: 'pg-boss', label: 'pg-boss 12.38.0, LISTEN/NOTIFY on (useListenNotify + queue notify)', settings: { listenNotify: true } },
];

/** Enqueue-to-start latency with an idle worker: jobs enqueued one at a time, 20 ms apart. */
export async function latencySuite(ctx: SuiteContext): Promise<Table> {
  const { runs, latencyJobs, databaseUrl } = ctx.options;
  const rows = CONFIGS.map((c) => newRow(c.label, c.system, c.system));
  for (let run = 1; run <= runs; run++) {
    for (const [i, c] of CONFIGS.entries()) {
      const producer = producerFor(c.system, databaseUrl);
      await producer.setup();
      try {
        const report = await runWorkerChild(
          { system: c.system, url: databaseUrl, schema: SCHEMAS[c.system], settings: c.settings, expected: latencyJobs + WARM_UP },
          {
            timeBoxMs: 120_000,
            whileRunning: async () => {
              await sleep(300);
              for (let n = 1; n <= WARM_UP; n++) {
                await producer.enqueueOne({ n: -n, t: 0 });
                await sleep(SPACING_MS);
              }
              for (let n = 1; n <= latencyJobs; n++) {
                await producer.enqueueOne({ n, t: nowMs() });
                await sleep(SPACING_MS);
              }
            },
          },
        );
        const p50 = percentile(report.latencies, 50);
        const p99 = percentile(report.latencies, 99);
        record(rows[i]!, 'p50', p50);
        record(rows[i]!, 'p99', p99);
        record(rows[i]!, 'samples', report.latencies.length);
        if (report.timedOut) rows[i]!.notes.push(`run ${run}: only ${report.count} of ${latencyJobs + WARM_UP} jobs started`);
        ctx.log(`latency run ${run}: ${c.system} p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
      } finally {
        await producer.teardown();
      }
    }
  }
  return {
    title: `Enqueue→start latency, idle worker (${latencyJobs} jobs enqueued one at a time, ${SPACING_MS} ms apart, after ${WARM_UP} warm-up jobs)`,
    columns: [
      { metric: 'p50', heading: 'p50 (ms)', digits: 2, ratio: true },
      { metric: 'p99', heading: 'p99 (ms)', digits: 2, ratio: true },
      { metric: 'samples', heading: 'samples per run', digits: 0, ratio: false },
    ],
    rows,
    reference: CONFIGS[0]!.label,
    note:
      'Measured from just before the enqueue call (producer process) to the handler starting (worker process); p50 and p99 of each run ' +
      `(nearest rank over its samples${latencyJobs < 1_000 ? ': fewer than 1,000, so the p99 is rough' : ''}), median over runs. ` +
      'ours/theirs < 1 means JobMaster starts jobs sooner.',
  };
}
