import { hostname } from 'node:os';
import type pg from 'pg';
import { resolveAlertOptions, type AlertOptions, type FailureAlertHandler, type ResolvedAlertOptions } from '../alerts/alert-options.js';
import { resolveDatabaseUrl } from '../config/settings.js';
import { createPool } from '../db/connect.js';
import { DEFAULT_SCHEMA, validateSchemaName } from '../db/schema-name.js';
import { ConfigError } from '../errors.js';
import type { JobLogger } from '../registry/job-context.js';
import type { TaskDefinition } from '../registry/task-definition.js';
import type { WorkerEvent } from './worker-events.js';

/** The node budget when neither the option nor `JOBMASTER_SYSTEM_PROCESS_UNITS` gives one. */
export const DEFAULT_PROCESS_UNITS = 10_000;

/** How a worker connects, what it runs and how hard it pushes. */
export interface WorkerOptions {
  /** An existing pool; the worker does not close it. It needs 3 connections to spare (claims, outcomes, LISTEN). */
  pool?: pg.Pool;
  /** PostgreSQL connection string, used when no pool is given. (Default: `DATABASE_URL`) */
  databaseUrl?: string;
  /** Schema JobMaster lives in. (Default: "jobmaster") */
  schema?: string;
  /** The tasks this worker may run; jobs of other tasks are never claimed. (Default: `registry.definitions()`) */
  tasks?: TaskDefinition[];
  /** Name of the machine; the process-unit budget is shared by every worker of a node. (Default: `os.hostname()`) */
  node?: string;
  /**
   * The node's process-unit budget. (Default: `JOBMASTER_SYSTEM_PROCESS_UNITS` when it is an
   * integer, else 10,000)
   */
  processUnits?: number;
  /** Jobs this process runs at once. (Default: 10) */
  concurrency?: number;
  /**
   * Most jobs handled per claim round trip. The worker claims its free slots plus, when jobs
   * are quick, the jobs it would start within the next 50 ms at its recent pace, up to this
   * many; those wait in memory as 'running' (their units count against the node's budget)
   * and go back to the queue unstarted if the worker stops. (Default: 2,000)
   */
  claimBatchSize?: number;
  /** Most outcomes written per round trip. (Default: 1,000) */
  completeBatchSize?: number;
  /** How long a claimed job stays ours without a heartbeat; a dead worker's jobs return after it. (Default: 30) */
  leaseSeconds?: number;
  /**
   * Milliseconds between heartbeats, which renew leases and notice cancellations.
   * (Default: 2,000, and at most a third of the lease)
   */
  heartbeatInterval?: number;
  /** Milliseconds between safety-net polls, in case a notification was missed. (Default: 5,000) */
  pollInterval?: number;
  /** Milliseconds `stop()` waits for running jobs before giving them back to the queue. (Default: 30,000) */
  gracePeriod?: number;
  /** Drain what can run now, then stop by itself. (Default: false) */
  untilEmpty?: boolean;
  /** Times a job may go back to waiting on its dependencies before it fails. (Default: 20) */
  maxDependencyWaits?: number;
  /** Where the worker and the jobs it runs write log lines. (Default: console, on stderr) */
  logger?: JobLogger;
  /** Called for each job started and finished and each notable worker event. (Default: none) */
  onEvent?: (event: WorkerEvent) => void;
  /** Aborting it starts a graceful stop, like `stop()`. (Default: none) */
  signal?: AbortSignal;
  /** Where and how failure alerts are delivered: webhook, command, rate, retries. See {@link AlertOptions}. (Default: none) */
  alerts?: AlertOptions;
  /**
   * Called with each failure alert this worker delivers (jobs of any task that failed for
   * good; every failed attempt with `alerts.on: 'attempt'`), besides the webhook, the command
   * and the task's own `onFailure`. A throw or rejection is a failed delivery, retried. (Default: none)
   */
  onJobFailed?: FailureAlertHandler;
  /**
   * Collect Prometheus metrics (prom-client, in a registry of the worker's own: see
   * `Worker.metricsRegistry`, to serve from your own /metrics). (Default: true when
   * `metricsPort` is set, else false)
   */
  metrics?: boolean;
  /** Serve the metrics at `http://{metricsHost}:{metricsPort}/metrics` while the worker runs; 0 picks a free port. (Default: none) */
  metricsPort?: number;
  /** The address the metrics endpoint listens on. (Default: "127.0.0.1") */
  metricsHost?: string;
}

/** Worker options with every default applied and every value checked. */
export interface ResolvedWorkerOptions {
  schema: string;
  node: string;
  processUnits: number;
  concurrency: number;
  claimBatchSize: number;
  completeBatchSize: number;
  leaseSeconds: number;
  heartbeatInterval: number;
  pollInterval: number;
  gracePeriod: number;
  untilEmpty: boolean;
  maxDependencyWaits: number;
  logger: JobLogger;
  alerts: ResolvedAlertOptions;
  metrics: boolean;
  /** null: no metrics endpoint. */
  metricsPort: number | null;
  metricsHost: string;
}

/** The largest value PostgreSQL's integer holds, and the longest wait a Node.js timer takes (ms). */
const MAX_INT32 = 2_147_483_647;

/**
 * The process-unit budget from `JOBMASTER_SYSTEM_PROCESS_UNITS`: its value when it is a
 * non-negative integer (capped at 2,147,483,647, the most the database stores), else 10,000.
 */
export function processUnitsFromEnvironment(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.JOBMASTER_SYSTEM_PROCESS_UNITS?.trim();
  // A budget beyond what the database stores is as good as no limit: the largest it stores.
  if (text !== undefined && /^\d+$/.test(text)) return Math.min(Number(text), MAX_INT32);
  return DEFAULT_PROCESS_UNITS;
}

const stderrLogger: JobLogger = {
  info: (message, ...details) => console.error(message, ...details),
  warn: (message, ...details) => console.error(message, ...details),
  error: (message, ...details) => console.error(message, ...details),
};

function integer(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > MAX_INT32)
    throw new ConfigError(`Worker option ${name} must be an integer from ${min} to ${MAX_INT32}, got ${String(v)}`);
  return v;
}

function positive(name: string, value: number | undefined, fallback: number, max = Infinity): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max)
    throw new ConfigError(`Worker option ${name} must be a positive number${max < Infinity ? ` of at most ${max}` : ''}, got ${String(v)}`);
  return v;
}

/** A node name workers may share: not blank, at most 200 characters. */
export function isNodeName(node: string): boolean {
  return node.trim() !== '' && node.length <= 200;
}

/** Applies defaults and checks every option; throws ConfigError naming the bad one. */
export function resolveWorkerOptions(options: WorkerOptions): ResolvedWorkerOptions {
  const leaseSeconds = positive('leaseSeconds', options.leaseSeconds, 30, MAX_INT32 / 1000);
  const node = options.node ?? hostname();
  if (!isNodeName(node)) throw new ConfigError(`Worker option node must be a non-empty name of at most 200 characters`);
  return {
    schema: validateSchemaName(options.schema ?? DEFAULT_SCHEMA),
    node,
    processUnits: integer('processUnits', options.processUnits, processUnitsFromEnvironment(), 0),
    concurrency: integer('concurrency', options.concurrency, 10, 1),
    claimBatchSize: integer('claimBatchSize', options.claimBatchSize, 2_000, 1),
    completeBatchSize: integer('completeBatchSize', options.completeBatchSize, 1_000, 1),
    leaseSeconds,
    heartbeatInterval: Math.min(positive('heartbeatInterval', options.heartbeatInterval, 2_000, MAX_INT32), (leaseSeconds * 1000) / 3),
    pollInterval: positive('pollInterval', options.pollInterval, 5_000, MAX_INT32),
    gracePeriod: integer('gracePeriod', options.gracePeriod, 30_000, 0),
    untilEmpty: options.untilEmpty ?? false,
    maxDependencyWaits: integer('maxDependencyWaits', options.maxDependencyWaits, 20, 1),
    logger: options.logger ?? stderrLogger,
    alerts: resolveAlertOptions(options.alerts),
    ...metricsOptions(options),
  };
}

function metricsOptions(options: WorkerOptions): Pick<ResolvedWorkerOptions, 'metrics' | 'metricsPort' | 'metricsHost'> {
  const port = options.metricsPort ?? null;
  if (port !== null && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new ConfigError(`Worker option metricsPort must be a port number from 0 to 65535, got ${String(port)}`);
  const host = options.metricsHost ?? '127.0.0.1';
  if (typeof host !== 'string' || host.trim() === '') throw new ConfigError('Worker option metricsHost must be a host name or address');
  if (port !== null && options.metrics === false)
    throw new ConfigError('Worker option metricsPort needs metrics: serving them means collecting them');
  return { metrics: options.metrics ?? port !== null, metricsPort: port, metricsHost: host };
}

/** The worker's pool: the one given (not closed by the worker), or one opened from `databaseUrl` / `DATABASE_URL`. */
export function workerPool(options: WorkerOptions): { pool: pg.Pool; ownsPool: boolean; url: string | undefined } {
  const database = resolveDatabaseUrl(options.databaseUrl, 'databaseUrl');
  if (options.pool) return { pool: options.pool, ownsPool: false, url: database?.url };
  if (!database) throw new ConfigError('The worker needs a pool, a databaseUrl, or DATABASE_URL in the environment');
  const pool = createPool(database.url, { max: 8, applicationName: 'jobmaster worker', source: database.source });
  return { pool, ownsPool: true, url: database.url };
}
