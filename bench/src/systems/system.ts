/** The three queues measured side by side. */
export type SystemName = 'jobmaster' | 'graphile-worker' | 'pg-boss';

/** What every benchmark job carries: a unique number (JobMaster dedupes identical jobs) and when it was enqueued. */
export interface BenchPayload {
  n: number;
  /** Wall-clock ms (sub-ms precision) just before the enqueue call; 0 when unused. */
  t: number;
}

/** Settings of one worker configuration (numbers and switches only, so they pass to a child process as JSON). */
export type WorkerSettings = Record<string, number | boolean>;

/** Which job a drain feeds to the JobMaster worker (the other systems only run no-op jobs). */
export type JobKind = 'noop' | 'dependent' | 'fan';

/** The producer side, run in the benchmark's main process: schema setup and enqueueing. */
export interface Producer {
  readonly system: SystemName;
  /** Creates the system's schema afresh (dropping any leftover). */
  setup(): Promise<void>;
  /** Enqueues the jobs in one batch call. */
  enqueueBatch(jobs: BenchPayload[]): Promise<void>;
  /** Enqueues one job (for latency). */
  enqueueOne(job: BenchPayload): Promise<void>;
  /**
   * SQL returning one row `{left: number}`: the jobs whose completion has not committed yet, by
   * the system's own meaning of done (JobMaster status 'complete', graphile-worker the row
   * deleted, pg-boss state 'completed'). Read by the drain's watcher on its own connection.
   */
  readonly unfinishedSql: string;
  /** Drops the schema and closes connections. */
  teardown(): Promise<void>;
}

/** A running worker inside a child process. */
export interface WorkerHandle {
  stop(): Promise<void>;
}

/** The worker side, run in a child process so its memory is measured alone. */
export interface WorkerStarter {
  start(url: string, schema: string, settings: WorkerSettings, onJob: (payload: BenchPayload) => void): Promise<WorkerHandle>;
}

export const SCHEMAS: Record<SystemName, string> = {
  jobmaster: 'bench_jobmaster',
  'graphile-worker': 'bench_graphile_worker',
  'pg-boss': 'bench_pgboss',
};

/** A logger that drops everything: every system runs with quiet logs. */
export const quiet = { info: () => {}, warn: () => {}, error: () => {} };
