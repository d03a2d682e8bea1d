// A worker of one system in its own process, so its memory is measured alone. Started by
// worker-process.ts with a JSON config as argv[2]; reports over IPC:
//   {type: 'ready'} once the worker runs; {type: 'seen-all'} when the handler has started
//   `expected` jobs; {type: 'done', ...ChildReport} once the worker has stopped. It stops after
//   `expected` jobs, or, with `waitForFinish`, when the parent sends {type: 'finish'} (after it
//   has seen the last completion commit, or at the end of a time-boxed run).
import { nowMs } from './stats.js';
import type { BenchPayload, SystemName, WorkerSettings, WorkerStarter } from './systems/system.js';

/** What the parent asks the child to run. */
export interface ChildConfig {
  system: SystemName;
  url: string;
  schema: string;
  settings: WorkerSettings;
  /** Jobs to see before reporting. */
  expected: number;
  /** Keep the worker running after `expected` jobs until the parent sends 'finish' (drains: the parent watches the completions commit). */
  waitForFinish?: boolean;
}

/** What the child measured. */
export interface ChildReport {
  count: number;
  /** Wall-clock ms just before the worker was constructed and started (modules already loaded). */
  startAt: number;
  /** Wall-clock ms when the first and the last counted job started. */
  firstAt: number;
  lastAt: number;
  /** Enqueue-to-start times of jobs that carried an enqueue time. */
  latencies: number[];
  /** RSS before the worker started, and the largest seen (sampled, and the kernel's high-water mark). */
  baselineRss: number;
  peakRss: number;
  /** RSS samples with the number of jobs seen by then. */
  samples: Array<{ count: number; rss: number }>;
  /** How long the worker took to stop. */
  stopMs: number;
  /** True when the parent ended a time-boxed run before `expected` jobs were seen. */
  timedOut: boolean;
}

async function loadStarter(system: SystemName): Promise<WorkerStarter> {
  if (system === 'jobmaster') return (await import('./systems/jobmaster.js')).jobMasterWorker;
  if (system === 'graphile-worker') return (await import('./systems/graphile-worker.js')).graphileWorker;
  return (await import('./systems/pg-boss.js')).pgBossWorker;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
  const starter = await loadStarter(config.system);
  const send = (message: unknown): void => void process.send?.(message);
  const baselineRss = process.memoryUsage.rss();
  const samples: ChildReport['samples'] = [];
  const latencies: number[] = [];
  let count = 0;
  let firstAt = 0;
  let lastAt = 0;
  let startAt = 0;
  let finishing = false;
  const sampler = setInterval(() => samples.push({ count, rss: process.memoryUsage.rss() }), 250);

  const finish = async (timedOut: boolean): Promise<void> => {
    if (finishing) return;
    finishing = true;
    if (timedOut) lastAt = nowMs();
    samples.push({ count, rss: process.memoryUsage.rss() });
    const stopStarted = nowMs();
    await handle.stop();
    const stopMs = nowMs() - stopStarted;
    clearInterval(sampler);
    const peakSampled = Math.max(...samples.map((s) => s.rss));
    const peakRss = Math.max(peakSampled, process.resourceUsage().maxRSS * 1024);
    const report: ChildReport = { count, startAt, firstAt, lastAt, latencies, baselineRss, peakRss, samples, stopMs, timedOut };
    process.send?.({ type: 'done', report }, () => process.exit(0));
  };

  startAt = nowMs();
  const handle = await starter.start(config.url, config.schema, config.settings, (payload: BenchPayload) => {
    const at = nowMs();
    count++;
    if (count === 1) firstAt = at;
    if (payload.t > 0) latencies.push(at - payload.t);
    if (count === config.expected) {
      lastAt = at;
      send({ type: 'seen-all' });
      if (!config.waitForFinish) void finish(false);
    }
  });
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'finish') void finish(count < config.expected);
  });
  send({ type: 'ready' });
}

main().catch((error: unknown) => {
  console.error(`bench worker child failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
