import type * as PromClient from 'prom-client';
import { lazyRequire } from '../util/lazy-require.js';
import type { MetricsServer } from './metrics-server.js';
import type { JobEndStatus, WorkerEvent } from './worker-events.js';
import type { ResolvedWorkerOptions } from './worker-options.js';

/** prom-client is loaded only by a worker that collects metrics: about 45 ms nobody else should pay. */
const loadPromClient = lazyRequire<typeof PromClient>('prom-client');

/** What the gauges read from the worker at each scrape. */
export interface WorkerGaugeSource {
  /** Process units of the jobs this worker holds (running or claimed ahead): its share of the node's budget. */
  unitsInUse(): number;
  /** Jobs whose function runs now. */
  running(): number;
}

const RUN_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400];
const CLAIM_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * A worker's Prometheus metrics, in a registry of their own (never prom-client's global one,
 * so an application embedding the worker keeps its registry as it was). Every per-task series
 * exists from zero for each task the worker runs: the registry bounds the `task` label, and
 * no label carries a job id or arguments. Fed by the worker's events.
 */
export class WorkerMetrics {
  /** The registry to scrape, or to merge into an application's own (`Registry.merge`). */
  readonly registry: PromClient.Registry;
  readonly #started: PromClient.Counter<'task'>;
  readonly #completed: PromClient.Counter<'task'>;
  readonly #failed: PromClient.Counter<'task'>;
  readonly #retried: PromClient.Counter<'task'>;
  readonly #cancelled: PromClient.Counter<'task'>;
  readonly #runSeconds: PromClient.Histogram<'task'>;
  readonly #waitSeconds: PromClient.Histogram<'task'>;
  readonly #claimSeconds: PromClient.Histogram;
  /** The counter of each way a job can end here (released and lost jobs are not counted: they run again). */
  readonly #ended: Partial<Record<JobEndStatus, PromClient.Counter<'task'>>>;
  #server: MetricsServer | null = null;

  /** The metrics of a worker with these options, or null when they do not ask for metrics. */
  static forWorker(o: ResolvedWorkerOptions, tasks: readonly string[], source: WorkerGaugeSource): WorkerMetrics | null {
    return o.metrics ? new WorkerMetrics(tasks, o.processUnits, source, { processMetrics: o.metricsPort !== null }) : null;
  }

  constructor(tasks: readonly string[], budget: number, source: WorkerGaugeSource, options: { processMetrics?: boolean } = {}) {
    const prom = loadPromClient();
    const registers = [(this.registry = new prom.Registry())];
    const counter = (name: string, help: string): PromClient.Counter<'task'> =>
      new prom.Counter({ name: `jobmaster_worker_jobs_${name}_total`, help, labelNames: ['task'], registers });
    this.#started = counter('started', "Jobs whose function this worker called (each attempt counts), by task ('type_key.task_key').");
    this.#completed = counter('completed', 'Jobs that completed here, by task.');
    this.#failed = counter(
      'failed',
      'Jobs that failed for good here (last attempt, or before running: dependency cap, bad dependency), by task.',
    );
    this.#retried = counter('retried', 'Failed attempts here that will be retried after a backoff, by task.');
    this.#cancelled = counter('cancelled', 'Running jobs stopped here because someone cancelled them, by task.');
    this.#ended = { complete: this.#completed, failed: this.#failed, retrying: this.#retried, cancelled: this.#cancelled };
    this.#runSeconds = new prom.Histogram({
      name: 'jobmaster_worker_job_run_seconds',
      help: "How long a job's function ran, whatever its outcome, by task.",
      labelNames: ['task'],
      buckets: RUN_BUCKETS,
      registers,
    });
    this.#waitSeconds = new prom.Histogram({
      name: 'jobmaster_worker_job_queue_wait_seconds',
      help: 'How long a job waited between becoming due (its run-at, or its creation if later) and its start, by task.',
      labelNames: ['task'],
      buckets: WAIT_BUCKETS,
      registers,
    });
    this.#claimSeconds = new prom.Histogram({
      name: 'jobmaster_worker_claim_seconds',
      help: 'Round trip of one claim (claim_jobs), found jobs or not.',
      buckets: CLAIM_BUCKETS,
      registers,
    });
    new prom.Gauge({
      name: 'jobmaster_worker_process_units_in_use',
      help: "Process units of the jobs this worker holds (running or claimed ahead), counted against the node's budget.",
      registers,
      collect() {
        this.set(source.unitsInUse());
      },
    });
    new prom.Gauge({ name: 'jobmaster_worker_process_units_budget', help: "The node's process-unit budget.", registers }).set(budget);
    new prom.Gauge({
      name: 'jobmaster_worker_running_jobs',
      help: 'Jobs whose function runs now in this worker.',
      registers,
      collect() {
        this.set(source.running());
      },
    });
    for (const task of tasks) {
      for (const c of [this.#started, this.#completed, this.#failed, this.#retried, this.#cancelled]) c.inc({ task }, 0);
      this.#runSeconds.zero({ task });
      this.#waitSeconds.zero({ task });
    }
    if (options.processMetrics) prom.collectDefaultMetrics({ register: this.registry });
  }

  /** An event handler that counts each event, then passes it on to `next`. */
  observing(next: ((event: WorkerEvent) => void) | undefined): (event: WorkerEvent) => void {
    return (event) => {
      this.observe(event);
      next?.(event);
    };
  }

  /** Serves the registry at http://host:port/metrics until `close()`; resolves with the URL. */
  async serve(host: string, port: number): Promise<string> {
    const { serveMetrics } = await import('./metrics-server.js');
    this.#server = await serveMetrics(this.registry, host, port);
    return this.#server.url;
  }

  /** Stops serving, if serving. */
  async close(): Promise<void> {
    await this.#server?.close();
    this.#server = null;
  }

  /** Counts one worker event. */
  observe(event: WorkerEvent): void {
    switch (event.type) {
      case 'job-start': {
        const task = `${event.job.typeKey}.${event.job.taskKey}`;
        this.#started.inc({ task });
        this.#waitSeconds.observe({ task }, event.job.waitedSeconds + (performance.now() - event.job.claimedAt) / 1000);
        return;
      }
      case 'job-end': {
        const task = `${event.job.typeKey}.${event.job.taskKey}`;
        if (event.runMs !== undefined) this.#runSeconds.observe({ task }, event.runMs / 1000);
        const counter = this.#ended[event.status];
        counter?.inc({ task });
        return;
      }
      case 'job-handled':
        if (event.action === 'failed') this.#failed.inc({ task: event.task });
        return;
      case 'claim':
        this.#claimSeconds.observe(event.durationMs / 1000);
        return;
      default:
        return;
    }
  }
}
