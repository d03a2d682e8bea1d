import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { AlertDelivery } from '../alerts/alert-delivery.js';
import { createWorkerAlerts, wakeAlertsOnFailure } from '../alerts/worker-alerts.js';
import { translateConnectionError } from '../db/connect.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { ConfigError } from '../errors.js';
import { registry } from '../registry/task-registry.js';
import type { TaskDefinition } from '../registry/task-definition.js';
import { fireDueSchedules } from '../schedule/fire-schedules.js';
import { nextWake } from '../schedule/next-wake.js';
import { ClaimStream } from './claim-stream.js';
import { ClaimedQueue } from './claimed-queue.js';
import { LeaseHeartbeat } from './lease-heartbeat.js';
import { JobFlow } from './job-flow.js';
import { OutcomeWriter } from './outcome-writer.js';
import { RunningJobs } from './running-jobs.js';
import type { WorkerEvent, WorkerSummary } from './worker-events.js';
import { resolveWorkerOptions, workerPool, type ResolvedWorkerOptions, type WorkerOptions } from './worker-options.js';
import { WorkerQueries, type ClaimerIdentity } from './worker-queries.js';
import { WakeSignal } from './wake-signal.js';
import { startWakeSources, type WakeSources } from './wake-sources.js';
import { WorkerMetrics } from './worker-metrics.js';

/**
 * Runs jobs from a JobMaster schema: claims them in batches (`claim_jobs`, under the node's
 * process-unit budget), a little ahead of its free slots when jobs are quick (see
 * {@link ClaimedQueue}), runs up to `concurrency` at once, writes outcomes in batches, keeps
 * their leases alive with one heartbeat for all of them, and wakes on LISTEN/NOTIFY (with a
 * slow poll as a safety net). Delivery is at-least-once: a job whose worker dies runs again
 * once its lease lapses, counted as an attempt.
 *
 * @example
 * ```ts
 * const worker = new Worker({ databaseUrl: process.env.DATABASE_URL, concurrency: 20 });
 * process.once('SIGTERM', () => void worker.stop());
 * const summary = await worker.run();
 * ```
 */
export class Worker {
  /** Unique id of this worker, recorded on the jobs it runs and in the workers table. */
  readonly id: string;
  /** The options in force, defaults applied. */
  readonly options: ResolvedWorkerOptions;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #url: string | undefined;
  readonly #queries: WorkerQueries;
  readonly #definitions: Map<string, TaskDefinition>;
  readonly #who: ClaimerIdentity;
  readonly #onEvent: (event: WorkerEvent) => void;
  /** Delivers failure alerts beside the claim loop; null without a destination. */
  readonly #alerts: AlertDelivery | null;
  readonly #running: RunningJobs;
  readonly #queue: ClaimedQueue;
  readonly #wake = new WakeSignal();
  readonly #writer: OutcomeWriter;
  readonly #heartbeat: LeaseHeartbeat;
  readonly #flow: JobFlow;
  #stopping = false;
  #abandoning = false;
  /** LISTEN/NOTIFY and the schedule ticker (long-running mode only). */
  #wakeSources: WakeSources | null = null;
  #run: Promise<WorkerSummary> | null = null;
  readonly #claims: ClaimStream;
  readonly #metrics: WorkerMetrics | null;
  /** Counts notifications, job ends, outcomes and heartbeats: a claim that ran meanwhile is not the last word. */
  #activity = 0;

  constructor(options: WorkerOptions = {}) {
    this.options = resolveWorkerOptions(options);
    const o = this.options;
    const tasks = options.tasks ?? registry.definitions();
    if (tasks.length === 0)
      throw new ConfigError('The worker has no tasks to run: load task modules first (jm run --tasks "src/tasks/*.ts")');
    this.#definitions = new Map(tasks.map((t) => [`${t.typeKey}.${t.taskKey}`, t]));
    ({ pool: this.#pool, ownsPool: this.#ownsPool, url: this.#url } = workerPool(options));
    this.id = `${o.node}/${process.pid}/${randomBytes(4).toString('hex')}`;
    this.#who = {
      workerId: this.id,
      node: o.node,
      pid: process.pid,
      budget: o.processUnits,
      leaseSeconds: o.leaseSeconds,
      tasks: [...this.#definitions.keys()],
      maxDependencyWaits: o.maxDependencyWaits,
    };
    this.#alerts = createWorkerAlerts(this.#pool, this.id, o, options.onJobFailed, this.#definitions.values());
    this.#metrics = WorkerMetrics.forWorker(o, this.#who.tasks, {
      unitsInUse: () => this.#running.units() + this.#queue.units(),
      running: () => this.#running.size,
    });
    this.#onEvent = wakeAlertsOnFailure(this.#metrics?.observing(options.onEvent) ?? options.onEvent, this.#alerts, o.alerts);
    this.#running = new RunningJobs(this.#definitions, o.logger, (running, result) => this.#flow.finished(running, result));
    this.#queue = new ClaimedQueue(o.concurrency, o.claimBatchSize);
    this.#flow = new JobFlow({
      queue: this.#queue,
      running: this.#running,
      writer: () => this.#writer,
      concurrency: o.concurrency,
      onEvent: this.#onEvent,
      poke: () => this.#poke(),
      // A long-running worker looks again when the retry is due; a drain leaves it for later.
      retryDueAt: (at) => {
        if (!o.untilEmpty) this.#wake.wakeAt(at.getTime() + 20);
      },
      stopping: () => this.#stopping,
      release: (ids, message) => this.#queries.release(this.id, ids, message),
      findTooLarge: () => this.#queries.tooLarge([...this.#definitions.values()], o.processUnits),
      budget: o.processUnits,
    });
    this.#queries = new WorkerQueries(this.#pool, o.schema);
    this.#writer = new OutcomeWriter(
      this.#queries,
      this.id,
      o.completeBatchSize,
      (r) => this.#flow.recordedOutcome(r),
      (e) => o.logger.warn(`jobmaster worker: could not write job outcomes, retrying: ${(e as Error).message}`),
    );
    this.#heartbeat = new LeaseHeartbeat(
      this.#queries,
      this.id,
      o.leaseSeconds,
      o.heartbeatInterval,
      () => [...this.#running.ids(), ...this.#queue.ids(), ...this.#writer.pendingIds()],
      { take: () => this.#flow.takeStarts(), restore: (ids) => this.#flow.restoreStarts(ids) },
      (sent, held) => this.#flow.afterHeartbeat(sent, held),
      (e) => o.logger.warn(`jobmaster worker: heartbeat failed: ${(e as Error).message}`),
    );
    this.#claims = new ClaimStream(this.#queries, this.#who, this.#queue, this.#wake, o, {
      accept: (claimed) => this.#flow.accept(claimed),
      activity: () => this.#activity,
      recorded: () => this.#flow.recorded,
      runAtDelayMs: async () => (await nextWake(this.#pool, o.schema, this.#who.tasks)).runAtDelayMs,
      takeStarts: () => this.#flow.takeStarts(),
      restoreStarts: (ids) => this.#flow.restoreStarts(ids),
      claimed: (durationMs, jobs) => this.#onEvent({ type: 'claim', durationMs, jobs }),
    });
    options.signal?.addEventListener('abort', () => void this.stop(), { once: true });
    if (options.signal?.aborted) this.#stopping = true;
  }

  /**
   * Runs until `stop()` (or the `signal` option) asks it to stop, or, with `untilEmpty`,
   * until nothing it may run is left. Resolves with what it did; rejects when the database
   * cannot be used (schema not deployed, unreachable), after cleaning up.
   */
  run(): Promise<WorkerSummary> {
    this.#run ??= this.#main();
    return this.#run;
  }

  /**
   * Stops claiming, lets running jobs finish within the grace period, gives the rest back to
   * the queue, and resolves with the summary once the worker has shut down.
   */
  async stop(): Promise<WorkerSummary> {
    this.#stopping = true;
    this.#wake.wake();
    return await this.run();
  }

  /**
   * Stops at once, as a crash would but cleanly: no more claims, running jobs are neither
   * awaited nor given back (they return to the queue when their leases lapse), and the
   * worker's connections are let go so its pool can close. `run()` then resolves.
   */
  abandon(): void {
    this.#stopping = true;
    this.#abandoning = true;
    void this.#heartbeat.stop();
    void this.#wakeSources?.listener.stop({ destroy: true });
    this.#alerts?.abandon();
    this.#wake.wake();
  }

  /** Counts so far (a copy). */
  get summary(): WorkerSummary {
    const summary = this.#flow.summary;
    return { ...summary, tooLarge: [...summary.tooLarge] };
  }

  /**
   * The worker's Prometheus metrics (a prom-client Registry of its own), to serve from your
   * own /metrics (`await registry.metrics()`, or `Registry.merge`); null without the
   * `metrics` option.
   */
  get metricsRegistry(): Registry | null {
    return this.#metrics?.registry ?? null;
  }

  /** Ids of the jobs running now. */
  get runningJobIds(): string[] {
    return this.#running.ids();
  }

  async #main(): Promise<WorkerSummary> {
    const started = performance.now();
    const o = this.options;
    try {
      if (this.#metrics && o.metricsPort !== null)
        this.#onEvent({ type: 'metrics', url: await this.#metrics.serve(o.metricsHost, o.metricsPort) });
      await this.#queries.register(this.#who, o.concurrency).catch((error: unknown) => {
        throw this.#translateNow(error);
      });
    } catch (error) {
      await this.#metrics?.close();
      if (this.#ownsPool) await this.#pool.end().catch(() => {});
      throw error;
    }
    let failure: unknown = null;
    try {
      if (!o.untilEmpty) {
        this.#wakeSources = await startWakeSources(this.#pool, o, () => this.#poke(), this.#onEvent);
      } else {
        // A drain started by the system's cron fires the schedules that are due, then runs their jobs.
        await fireDueSchedules(this.#pool, o.schema);
      }
      this.#heartbeat.start();
      this.#alerts?.start();
      await this.#loop();
    } catch (error) {
      failure = this.#translateNow(error); // every failure above, translated once here
    }
    await this.#shutdown();
    await this.#metrics?.close();
    this.#flow.summary.durationMs = Math.round(performance.now() - started);
    if (failure !== null) throw failure;
    return this.summary;
  }

  async #loop(): Promise<void> {
    const o = this.options;
    while (!this.#stopping) {
      this.#claims.throwIfFailed();
      if (!o.untilEmpty) await this.#flow.checkTooLargeEveryMinute();
      this.#flow.startQueued();
      // A second claim may go out at once: look again without waiting for a wake-up.
      if (this.#claims.next(this.#running.size)) continue;
      if (o.untilEmpty && this.#claims.idle && this.#claims.inFlight === 0 && this.#queue.size === 0 && this.#running.size === 0) {
        await this.#writer.idle();
        // Outcomes written since the last claim may have released dependents or process units.
        if (this.#flow.recorded === this.#claims.idleSince) break;
        this.#claims.resume();
        continue;
      }
      await this.#wake.wait(o.pollInterval);
      // Woken by a notification, a job ending, a useful claim or the poll interval: look again
      // (a drain only once an outcome was written since the claim that found nothing).
      if (!o.untilEmpty || this.#flow.recorded !== this.#claims.idleSince) this.#claims.resume();
    }
  }

  /** Something happened that may make work claimable (a NOTIFY, a job ending, an outcome written, a heartbeat). */
  #poke(): void {
    this.#activity++;
    this.#wake.wake();
  }

  async #shutdown(): Promise<void> {
    const o = this.options;
    await this.#wakeSources?.ticker.stop();
    await this.#wakeSources?.listener.stop().catch(() => {});
    this.#wake.cancelTimedWake();
    await this.#claims.settled();
    if (!this.#abandoning) await this.#flow.releaseQueued(`worker ${this.id} stopped before the job started`);
    if (this.#running.size > 0) await this.#waitForRunning(o.gracePeriod);
    if (this.#abandoning) {
      if (this.#ownsPool) await this.#pool.end().catch(() => {});
      return;
    }
    await this.#flow.releaseRunning(`worker ${this.id} stopped before the job finished`, 'the worker is shutting down');
    await Promise.race([this.#writer.idle(), delay(15_000, undefined, { ref: false })]);
    // A drain delivers its alerts (retries included) within the grace period before it exits.
    if (this.#alerts) this.#flow.summary.alerts = await this.#alerts.stop(o.untilEmpty ? o.gracePeriod : 0, o.gracePeriod);
    await this.#heartbeat.stop();
    if (o.untilEmpty) await this.#flow.checkTooLarge().catch(() => {});
    await this.#queries.unregister(this.id).catch(() => {});
    if (this.#ownsPool) await this.#pool.end().catch(() => {});
  }

  async #waitForRunning(ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    while (this.#running.size > 0 && performance.now() < deadline && !this.#abandoning) {
      await this.#wake.wait(deadline - performance.now());
    }
  }

  #translateNow(error: unknown): unknown {
    const connection = this.#url ? translateConnectionError(error, this.#url) : undefined;
    return connection ?? translateDatabaseError(error, { schema: this.options.schema });
  }
}

/**
 * Runs a worker until it stops (see {@link Worker}); with `untilEmpty: true`, drains the
 * queue and resolves with the summary.
 */
export async function runWorker(options: WorkerOptions = {}): Promise<WorkerSummary> {
  return await new Worker(options).run();
}
