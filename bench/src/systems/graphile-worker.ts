import { Logger, makeWorkerUtils, run, runMigrations, type Runner, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { SCHEMAS, type BenchPayload, type Producer, type WorkerHandle, type WorkerSettings, type WorkerStarter } from './system.js';

const silent = new Logger(() => () => {});

/** graphile-worker's producer: `addJobs` for batches, `addJob` for single jobs. */
export class GraphileProducer implements Producer {
  readonly system = 'graphile-worker' as const;
  readonly schema = SCHEMAS['graphile-worker'];
  // A completed job is deleted (batched completion deletes too).
  readonly unfinishedSql = `select count(*)::int as left from ${this.schema}._private_jobs`;
  #utils: WorkerUtils | null = null;

  constructor(private readonly url: string) {}

  async setup(): Promise<void> {
    const pool = new pg.Pool({ connectionString: this.url, max: 1 });
    await pool.query(`drop schema if exists ${this.schema} cascade`);
    await pool.end();
    await runMigrations({ connectionString: this.url, schema: this.schema, logger: silent });
    this.#utils = await makeWorkerUtils({ connectionString: this.url, schema: this.schema, logger: silent });
  }

  async enqueueBatch(jobs: BenchPayload[]): Promise<void> {
    await this.#utils!.addJobs(jobs.map((payload) => ({ identifier: 'noop', payload })));
  }

  async enqueueOne(job: BenchPayload): Promise<void> {
    await this.#utils!.addJob('noop', job);
  }

  async teardown(): Promise<void> {
    await this.#utils?.release();
    this.#utils = null;
    const pool = new pg.Pool({ connectionString: this.url, max: 1 });
    await pool.query(`drop schema if exists ${this.schema} cascade`);
    await pool.end();
  }
}

/**
 * graphile-worker's runner. Settings: concurrency, pools (runners in this process, each with
 * its own connection pool), maxPoolSize, localQueueSize, completeJobBatchDelay, failJobBatchDelay.
 * Without them it runs at its library defaults (concurrency 1, no local queue, no batching).
 */
export const graphileWorker: WorkerStarter = {
  async start(url: string, schema: string, settings: WorkerSettings, onJob: (payload: BenchPayload) => void): Promise<WorkerHandle> {
    const pools = Number(settings.pools ?? 1);
    const worker: GraphileConfig.WorkerOptions = {
      ...(settings.maxPoolSize !== undefined && { maxPoolSize: Number(settings.maxPoolSize) }),
      ...(settings.localQueueSize !== undefined && { localQueue: { size: Number(settings.localQueueSize) } }),
      ...(settings.completeJobBatchDelay !== undefined && { completeJobBatchDelay: Number(settings.completeJobBatchDelay) }),
      ...(settings.failJobBatchDelay !== undefined && { failJobBatchDelay: Number(settings.failJobBatchDelay) }),
    };
    const runners: Runner[] = [];
    for (let i = 0; i < pools; i++) {
      runners.push(
        await run({
          connectionString: url,
          schema,
          logger: silent,
          noHandleSignals: true,
          ...(settings.concurrency !== undefined && { concurrency: Number(settings.concurrency) }),
          crontab: '',
          taskList: {
            noop: async (payload) => {
              onJob(payload as BenchPayload);
            },
          },
          preset: { worker },
        }),
      );
    }
    return {
      async stop() {
        await Promise.all(runners.map((r) => r.stop()));
      },
    };
  },
};
