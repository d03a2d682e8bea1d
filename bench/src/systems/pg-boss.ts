import pg from 'pg';
import { PgBoss, type WorkOptions } from 'pg-boss';
import { SCHEMAS, type BenchPayload, type Producer, type WorkerHandle, type WorkerSettings, type WorkerStarter } from './system.js';

const QUEUE = 'noop';

async function dropSchema(url: string, schema: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  await pool.query(`drop schema if exists ${schema} cascade`);
  await pool.end();
}

// Maintenance, scheduling and the instance registry off: nothing but the queue runs during a measurement.
function boss(url: string, schema: string, extra: Record<string, unknown> = {}): PgBoss {
  const instance = new PgBoss({
    connectionString: url,
    schema,
    supervise: false,
    schedule: false,
    registerInstance: false,
    persistWarnings: false,
    ...extra,
  });
  instance.on('error', (error: unknown) => console.error(`pg-boss error: ${(error as Error).message}`));
  return instance;
}

/** pg-boss's producer: `insert` for batches, `send` for single jobs. The queue is created with notify on. */
export class PgBossProducer implements Producer {
  readonly system = 'pg-boss' as const;
  readonly schema = SCHEMAS['pg-boss'];
  // created, retry or active (the states before 'completed' in pg-boss's job_state enum).
  readonly unfinishedSql = `select count(*)::int as left from ${this.schema}.job where name = '${QUEUE}' and state < 'completed'`;
  #boss: PgBoss | null = null;

  constructor(private readonly url: string) {}

  async setup(): Promise<void> {
    await dropSchema(this.url, this.schema);
    this.#boss = boss(this.url, this.schema, { max: 4 });
    await this.#boss.start();
    await this.#boss.createQueue(QUEUE, { notify: true });
  }

  async enqueueBatch(jobs: BenchPayload[]): Promise<void> {
    await this.#boss!.insert(
      QUEUE,
      jobs.map((data) => ({ data })),
    );
  }

  async enqueueOne(job: BenchPayload): Promise<void> {
    await this.#boss!.send(QUEUE, job);
  }

  async teardown(): Promise<void> {
    await this.#boss?.stop({ graceful: false, close: true });
    this.#boss = null;
    await dropSchema(this.url, this.schema);
  }
}

/**
 * pg-boss's worker. Settings: batchSize, localConcurrency, pollingIntervalSeconds,
 * burstWhenBatchFull, listenNotify (the instance's useListenNotify; the queue has notify on).
 * Without them it runs at its library defaults (one job per fetch, a 2 s poll).
 */
export const pgBossWorker: WorkerStarter = {
  async start(url: string, schema: string, settings: WorkerSettings, onJob: (payload: BenchPayload) => void): Promise<WorkerHandle> {
    const instance = boss(url, schema, { migrate: false, useListenNotify: settings.listenNotify === true });
    await instance.start();
    const options: WorkOptions = {
      ...(settings.batchSize !== undefined && { batchSize: Number(settings.batchSize) }),
      ...(settings.localConcurrency !== undefined && { localConcurrency: Number(settings.localConcurrency) }),
      ...(settings.pollingIntervalSeconds !== undefined && { pollingIntervalSeconds: Number(settings.pollingIntervalSeconds) }),
      ...(settings.burstWhenBatchFull !== undefined && { burstWhenBatchFull: settings.burstWhenBatchFull === true }),
    };
    await instance.work<BenchPayload>(QUEUE, options, async (jobs) => {
      for (const job of jobs) onJob(job.data);
    });
    return {
      async stop() {
        await instance.stop({ graceful: true, close: true, timeout: 10_000 });
      },
    };
  },
};
