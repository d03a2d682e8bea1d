import type { ChildReport } from '../worker-child.js';
import { runWorkerChild } from '../worker-process.js';
import { SCHEMAS, type Producer, type SystemName, type WorkerSettings } from '../systems/system.js';
import { producerFor, type SuiteContext } from './context.js';

/** One drain configuration: a system, its worker settings, and how the queue is filled. */
export interface DrainSpec {
  label: string;
  system: SystemName;
  settings: WorkerSettings;
  /** Fills the fresh schema before the worker starts; returns how many job executions to wait for. */
  prepare: (producer: Producer) => Promise<number>;
  /** Stop and report after this long even if the queue is not drained (slow defaults). */
  timeBoxMs?: number;
}

/** What one drain measured. */
export interface DrainResult {
  /** Jobs per second from the first job's start to the last's. */
  rate: number;
  peakRssMb: number;
  report: ChildReport;
}

/** Sets up a fresh schema, fills it, drains it with a worker in a child process, drops the schema. */
export async function runDrain(ctx: SuiteContext, spec: DrainSpec): Promise<DrainResult> {
  const producer = producerFor(spec.system, ctx.options.databaseUrl);
  await producer.setup();
  try {
    const expected = await spec.prepare(producer);
    const report = await runWorkerChild(
      { system: spec.system, url: ctx.options.databaseUrl, schema: SCHEMAS[spec.system], settings: spec.settings, expected },
      { timeBoxMs: spec.timeBoxMs ?? 180_000 },
    );
    const seconds = (report.lastAt - report.firstAt) / 1000;
    const rate = report.count > 1 && seconds > 0 ? (report.count - 1) / seconds : Number.NaN;
    return { rate, peakRssMb: report.peakRss / (1024 * 1024), report };
  } finally {
    await producer.teardown();
  }
}
