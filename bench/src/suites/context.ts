import type { BenchOptions } from '../options.js';
import type { Table } from '../results.js';
import { GraphileProducer } from '../systems/graphile-worker.js';
import { JobMasterProducer } from '../systems/jobmaster.js';
import { PgBossProducer } from '../systems/pg-boss.js';
import type { BenchPayload, Producer, SystemName } from '../systems/system.js';

/** Shared by every suite: options, a way to log progress to stderr, and the tables of the suites run so far. */
export interface SuiteContext {
  options: BenchOptions;
  log: (line: string) => void;
  /** Suite name -> its table, filled as the run goes (the targets table reads them). */
  tables: Map<string, Table>;
}

export function producerFor(system: SystemName, url: string): Producer {
  if (system === 'jobmaster') return new JobMasterProducer(url);
  if (system === 'graphile-worker') return new GraphileProducer(url);
  return new PgBossProducer(url);
}

/** Payloads n = from..from+count-1 (each distinct: JobMaster keeps one waiting job per task and arguments). */
export function payloads(count: number, from = 1): BenchPayload[] {
  return Array.from({ length: count }, (_, i) => ({ n: from + i, t: 0 }));
}

/** Enqueues `count` no-op jobs in batches (not timed). */
export async function fill(producer: Producer, count: number, batch = 2_000): Promise<void> {
  for (let from = 1; from <= count; from += batch) {
    await producer.enqueueBatch(payloads(Math.min(batch, count - from + 1), from));
  }
}

export const MB = 1024 * 1024;
