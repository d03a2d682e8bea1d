import type { Command } from 'commander';
import {
  InvalidArgumentsError,
  JobsFailedError,
  Worker,
  isNodeName,
  type WorkerEvent,
  type WorkerOptions,
  type WorkerSummary,
} from 'jobmaster';
import { alertOptionsFromFlags, withAlertFlags, type AlertFlags } from '../alert-flags.js';
import type { CliContext } from '../cli-context.js';
import { DrainProgress } from '../drain-progress.js';
import { execute, wantsJson, withCommonOptions, type CommonOptions } from '../command-runner.js';
import { ExitRequest } from '../exit-request.js';
import type { Output } from '../output.js';
import { parsePort, parsePositiveInteger, parseWait } from '../parse.js';

/** `jm run` flags, as typed. */
export interface RunOptions extends AlertFlags {
  untilEmpty?: boolean;
  concurrency?: string;
  processUnits?: string;
  node?: string;
  grace?: string;
  lease?: string;
  poll?: string;
  heartbeat?: string;
  metricsPort?: string;
  metricsHost?: string;
  /** Set for --json output: no live progress line. */
  quietProgress?: boolean;
}

/** How the command learns that the user wants it to stop (SIGINT/SIGTERM in the terminal). */
export interface StopRequests {
  /** Calls `graceful` on the first request and `immediate` on the second; returns a function that stops listening. */
  listen(graceful: () => void, immediate: () => void): () => void;
}

/** SIGINT and SIGTERM of this process. */
export const processSignals: StopRequests = {
  listen(graceful, immediate) {
    let count = 0;
    const handler = (): void => (++count === 1 ? graceful() : immediate());
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  },
};

/**
 * `jm run`: loads the task modules and runs their jobs. With `untilEmpty` it drains what it
 * may run now and resolves with the summary; otherwise it runs until the first stop request,
 * then lets running jobs finish within `--grace`. A second stop request rejects at once with
 * an ExitRequest(130), leaving running jobs to lease recovery; jobs still running after the
 * grace period are given back to the queue and the command ends with ExitRequest(0), since
 * their functions may still hold the process open.
 */
export async function runCommand(
  ctx: CliContext,
  options: RunOptions,
  out: Output,
  stops: StopRequests = processSignals,
): Promise<WorkerSummary> {
  const untilEmpty = options.untilEmpty ?? false;
  const grace = options.grace === undefined ? 30_000 : Math.round(parseWait(options.grace, '--grace', { allowZero: true }));
  const flags = workerFlags(options);
  // A live line on a terminal only: cron (no TTY) and --json output stay quiet.
  const progress =
    untilEmpty && out.isTTY && process.stderr.isTTY && !options.quietProgress ? new DrainProgress(out, ctx.pool(), ctx.schema) : undefined;
  const log = progress?.output ?? out;
  const worker = new Worker({
    pool: ctx.pool(),
    schema: ctx.schema,
    tasks: await ctx.definitions(),
    untilEmpty,
    gracePeriod: grace,
    ...flags,
    onEvent: (event) => {
      progress?.onEvent(event);
      logEvent(log, event, !untilEmpty);
    },
  });
  let interrupt: (error: unknown) => void = () => {};
  const interrupted = new Promise<never>((_, reject) => (interrupt = reject));
  const unlisten = stops.listen(
    () => {
      const n = worker.runningJobIds.length;
      out.error(
        `jm run: stopping; ${n ? `waiting up to ${grace / 1000}s for ${n} running job${n === 1 ? '' : 's'}` : 'no jobs running'} (signal again to exit at once)`,
      );
      void worker.stop();
    },
    () => {
      worker.abandon();
      interrupt(new ExitRequest(130, 'interrupted again: exiting at once; running jobs return to the queue when their leases lapse'));
    },
  );
  progress?.start();
  try {
    const summary = await Promise.race([worker.run(), interrupted]);
    if (summary.released > 0 && !untilEmpty) {
      out.error(`jm run: gave ${summary.released} unfinished job${summary.released === 1 ? '' : 's'} back to the queue`);
      throw new ExitRequest(0);
    }
    return summary;
  } finally {
    progress?.stop();
    unlisten();
  }
}

/** The worker options given as flags, each checked here so that a bad one is named as typed. */
function workerFlags(options: RunOptions): WorkerOptions {
  if (options.node !== undefined && !isNodeName(options.node)) {
    throw new InvalidArgumentsError('--node must be a non-empty name of at most 200 characters');
  }
  return {
    ...(options.concurrency !== undefined && { concurrency: parsePositiveInteger(options.concurrency, '--concurrency') }),
    ...(options.processUnits !== undefined && { processUnits: parsePositiveInteger(options.processUnits, '--process-units') }),
    ...(options.node !== undefined && { node: options.node }),
    ...(options.lease !== undefined && { leaseSeconds: parseWait(options.lease, '--lease') / 1000 }),
    ...(options.poll !== undefined && { pollInterval: parseWait(options.poll, '--poll') }),
    ...(options.heartbeat !== undefined && { heartbeatInterval: parseWait(options.heartbeat, '--heartbeat') }),
    alerts: alertOptionsFromFlags(options),
    ...(options.metricsPort !== undefined && { metricsPort: parsePort(options.metricsPort, '--metrics-port') }),
    ...(options.metricsHost !== undefined && { metricsHost: metricsHost(options) }),
  };
}

function metricsHost(options: RunOptions): string {
  if (options.metricsPort === undefined) throw new InvalidArgumentsError('--metrics-host needs --metrics-port');
  if (options.metricsHost!.trim() === '') throw new InvalidArgumentsError('--metrics-host must be a host name or address');
  return options.metricsHost!;
}

function task(job: { typeKey: string; taskKey: string }): string {
  return `${job.typeKey}.${job.taskKey}`;
}

/** One concise stderr line per event; job starts and successes only for a long-running worker. */
function logEvent(out: Output, event: WorkerEvent, verbose: boolean): void {
  const c = out.color;
  switch (event.type) {
    case 'job-start':
      if (verbose) out.error(`job ${event.job.id} ${task(event.job)} started (attempt ${event.job.attempt}/${event.job.maxAttempts})`);
      return;
    case 'job-end': {
      const head = `job ${event.job.id} ${task(event.job)}`;
      if (event.status === 'complete') {
        if (verbose) out.error(`${head} ${c.green('complete')} in ${event.durationMs} ms`);
      } else if (event.status === 'failed') {
        out.error(`${head} ${c.red('failed')} after ${event.durationMs} ms: ${oneLine(event.message)}`);
      } else if (event.status === 'retrying') {
        const wait = event.retryAt ? Math.max(0, event.retryAt.getTime() - Date.now()) / 1000 : null;
        const retry = wait === null ? '' : ` in ${wait < 10 ? wait.toFixed(1) : Math.round(wait)} s`;
        out.error(`${head} ${c.yellow(`failed after ${event.durationMs} ms, will retry${retry}`)}: ${oneLine(event.message)}`);
      } else {
        out.error(`${head} ${c.yellow(event.status)} after ${event.durationMs} ms`);
      }
      return;
    }
    case 'job-handled':
      if (verbose || event.action === 'failed') {
        const label = event.action === 'failed' ? c.red('failed') : event.action === 'waiting' ? 'waits' : 'fanned out';
        out.error(`job ${event.jobId} ${event.task} ${label}: ${oneLine(event.message)}`);
      }
      return;
    case 'too-large':
      out.error(
        c.yellow(
          `jm run: ${event.jobs.length} waiting job${event.jobs.length === 1 ? ' needs' : 's need'} more process units than this node's whole budget of ${event.budget}: ` +
            event.jobs
              .slice(0, 5)
              .map((j) => `${j.id} (${j.task}, ${j.processUnits})`)
              .join(', ') +
            (event.jobs.length > 5 ? ', ...' : '') +
            ' (raise --process-units or run them on a bigger node)',
        ),
      );
      return;
    case 'connection':
      out.error(`jm run: ${event.message}`);
      return;
    case 'metrics':
      out.error(`jm run: Prometheus metrics at ${event.url}`);
      return;
    case 'claim':
      return;
  }
}

function oneLine(text: string | undefined): string {
  const line = (text ?? '').split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

/** The summary as text. */
export function printRunSummary(out: Output, s: WorkerSummary): void {
  const seconds = s.durationMs / 1000;
  const perSecond = seconds > 0 ? Math.round(s.ran / seconds) : 0;
  const rate = perSecond > 0 ? ` (${perSecond} job${perSecond === 1 ? '' : 's'}/s)` : '';
  out.write(`Ran ${s.ran} job${s.ran === 1 ? '' : 's'} in ${seconds.toFixed(2)} s${rate}`);
  const rows: Array<[string, number]> = [
    ['completed', s.completed],
    ['failed', s.failed],
    ['retried', s.retried],
    ['cancelled', s.cancelled],
    ['fanned out', s.fannedOut],
    ['spawned', s.spawned],
    ['waiting for dependencies', s.waitingForDependencies],
    ['released', s.released],
  ];
  if (s.alerts) rows.push(['alerts delivered', s.alerts.delivered], ['alerts undelivered', s.alerts.pending]);
  for (const [label, n] of rows) out.write(`  ${label.padEnd(26)}${n}`);
  if (s.alerts?.pending && s.alerts.lastError) out.write(out.color.yellow(`  last alert delivery error: ${oneLine(s.alerts.lastError)}`));
  if (s.tooLarge.length > 0) {
    out.write(
      out.color.yellow(
        `  too large for this node: ${s.tooLarge.map((j) => `job ${j.id} (${j.task}, ${j.processUnits} units)`).join(', ')}`,
      ),
    );
  }
}

export function registerRunCommand(program: Command, out: Output): void {
  withCommonOptions(
    withAlertFlags(
      program
        .command('run')
        .description('run jobs: as a long-lived worker, or until the queue is empty (exit code 1 when a job failed for good)')
        .option('--until-empty', 'run what can run now, print a summary and exit; exits 1 if any job it ran failed for good')
        .option('-c, --concurrency <n>', 'jobs run at once by this process (default: 10)')
        .option('--process-units <n>', "the node's process-unit budget (default: $JOBMASTER_SYSTEM_PROCESS_UNITS, else 10000)")
        .option('--node <name>', 'node name; workers of one node share its budget (default: the host name)')
        .option(
          '--grace <duration>',
          'on SIGINT/SIGTERM, how long running jobs may take to finish; with --until-empty, how long undelivered alerts are retried before exiting (default: 30s)',
        )
        .option('--lease <duration>', "how long a job stays this worker's without a heartbeat (default: 30s)")
        .option('--poll <duration>', 'safety-net poll interval besides LISTEN/NOTIFY (default: 5s)')
        .option('--heartbeat <duration>', 'how often leases are renewed and cancellations noticed (default: 2s, at most lease/3)')
        .option('--metrics-port <port>', 'serve Prometheus metrics at http://HOST:PORT/metrics while running (0 picks a free port)')
        .option('--metrics-host <address>', 'address the metrics endpoint listens on (default: 127.0.0.1)'),
    ),
  ).action(async (options: CommonOptions & RunOptions) => {
    const quietProgress = wantsJson(options);
    const summary = await execute(options, out, (ctx) => runCommand(ctx, { ...options, quietProgress }, out), printRunSummary);
    if (options.untilEmpty && summary.failed > 0) throw new JobsFailedError(summary.failed, summary);
  });
}
