import pg from 'pg';
import { nowMs, sleep } from '../stats.js';
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
  /** Looked up by the targets table (e.g. 'jobmaster', 'graphile-1', 'graphile-2', 'pg-boss-lc2'). */
  key?: string;
}

/** What one drain measured. */
export interface DrainResult {
  /**
   * Jobs per second from the worker's start (just before it is constructed, in its process) until
   * the last completion committed, as the watcher saw it: the fair figure, what a cron drain pays.
   */
  rate: number;
  /** Jobs per second from the first job's start to the last job's start (the handler's view; the old figure). */
  startRate: number;
  /** From the worker's start to the first job's start (ms). */
  startupMs: number;
  /** From the last job's start until its completion was seen committed (ms). */
  tailMs: number;
  /** The watcher's last step: the last commit happened within this many ms before the end (NaN: the first poll saw none left). */
  watchStepMs: number;
  /** Jobs whose completion had committed when the figure was taken (all of them unless time-boxed). */
  finished: number;
  peakRssMb: number;
  report: ChildReport;
}

const WATCH_GIVE_UP_MS = 60_000;

/**
 * Watches from the benchmark's process, on a connection of its own, for the moment no job is
 * left unfinished. Each poll's snapshot is taken as it starts, so the last commit happened between
 * the start of the previous poll (which still saw a job unfinished) and the start of the first
 * poll that saw none: that start is the drain's end (an upper bound, off by at most one poll).
 * It only polls once the handler has started every job, so it does not load the drain itself.
 */
async function watchUntilDone(client: pg.Client, sql: string): Promise<{ endAt: number; stepMs: number }> {
  const started = nowMs();
  let previous = Number.NaN;
  for (;;) {
    const at = nowMs();
    const { rows } = await client.query<{ left: number }>(sql);
    if (rows[0]!.left === 0) return { endAt: at, stepMs: at - previous };
    if (at - started > WATCH_GIVE_UP_MS) {
      throw new Error(`${rows[0]!.left} completions still uncommitted ${WATCH_GIVE_UP_MS / 1000} s after the last job started`);
    }
    previous = at;
    await sleep(1);
  }
}

/** Sets up a fresh schema, fills it, drains it with a worker in a child process, drops the schema. */
export async function runDrain(ctx: SuiteContext, spec: DrainSpec): Promise<DrainResult> {
  const producer = producerFor(spec.system, ctx.options.databaseUrl);
  await producer.setup();
  const watcher = new pg.Client({ connectionString: ctx.options.databaseUrl });
  await watcher.connect();
  try {
    const expected = await spec.prepare(producer);
    let endAt = Number.NaN;
    let watchStepMs = Number.NaN;
    let finished = expected;
    const report = await runWorkerChild(
      {
        system: spec.system,
        url: ctx.options.databaseUrl,
        schema: SCHEMAS[spec.system],
        settings: spec.settings,
        expected,
        waitForFinish: true,
      },
      {
        timeBoxMs: spec.timeBoxMs ?? 180_000,
        afterSeenAll: async () => {
          ({ endAt, stepMs: watchStepMs } = await watchUntilDone(watcher, producer.unfinishedSql));
        },
        atTimeBox: async () => {
          endAt = nowMs();
          const { rows } = await watcher.query<{ left: number }>(producer.unfinishedSql);
          finished = expected - rows[0]!.left;
        },
      },
    );
    const seconds = (report.lastAt - report.firstAt) / 1000;
    const startRate = report.count > 1 && seconds > 0 ? (report.count - 1) / seconds : Number.NaN;
    const rate = finished / ((endAt - report.startAt) / 1000);
    return {
      rate,
      startRate,
      startupMs: report.firstAt > 0 ? report.firstAt - report.startAt : Number.NaN,
      tailMs: report.timedOut ? Number.NaN : endAt - report.lastAt,
      watchStepMs,
      finished,
      peakRssMb: report.peakRss / (1024 * 1024),
      report,
    };
  } finally {
    await watcher.end();
    await producer.teardown();
  }
}
