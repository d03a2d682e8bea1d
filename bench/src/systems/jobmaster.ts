import type pg from 'pg';
import { JobMaster, Worker, createPool, type BatchJob, type WorkerOptions } from 'jobmaster';
import { onBenchJob } from '../bench-tasks.js';
import {
  SCHEMAS,
  quiet,
  type BenchPayload,
  type JobKind,
  type Producer,
  type WorkerHandle,
  type WorkerSettings,
  type WorkerStarter,
} from './system.js';

/** JobMaster's producer: deploys the bench tasks and enqueues through `enqueueMany` / `enqueue`. */
export class JobMasterProducer implements Producer {
  readonly system = 'jobmaster' as const;
  readonly schema = SCHEMAS.jobmaster;
  readonly pool: pg.Pool;
  readonly client: JobMaster;
  // Waiting or running: a job has finished once its outcome ('complete' for a no-op) committed.
  readonly unfinishedSql = `select count(*)::int as left from ${this.schema}.jobs where status in ('waiting', 'running')`;

  constructor(url: string) {
    // JobMaster's own pool, with the session settings its users get.
    this.pool = createPool(url, { max: 4 });
    this.client = new JobMaster({ pool: this.pool, schema: this.schema });
  }

  async setup(): Promise<void> {
    await this.pool.query(`drop schema if exists ${this.schema} cascade`);
    await this.client.deploy();
  }

  async enqueueBatch(jobs: BenchPayload[]): Promise<void> {
    await this.client.enqueueMany(jobs.map((j) => ({ task: 'bench.noop', args: { n: j.n, t: j.t } })));
  }

  async enqueueOne(job: BenchPayload): Promise<void> {
    await this.client.enqueue('bench.noop', { n: job.n, t: job.t });
  }

  /** Enqueues jobs of one of the feature-cost tasks (see bench-tasks.ts). */
  async enqueueKind(kind: JobKind, jobs: BenchPayload[]): Promise<void> {
    const batch = jobs.map((j): BatchJob =>
      kind === 'fan' ? { task: 'bench.fan', args: { region: 'ALL', n: j.n } } : { task: `bench.${kind}`, args: { n: j.n, t: j.t } },
    );
    await this.client.enqueueMany(batch);
  }

  async teardown(): Promise<void> {
    await this.pool.query(`drop schema if exists ${this.schema} cascade`);
    await this.pool.end();
  }
}

/** JobMaster's worker, at its defaults unless the settings say otherwise. */
export const jobMasterWorker: WorkerStarter = {
  async start(url: string, schema: string, settings: WorkerSettings, onJob: (payload: BenchPayload) => void): Promise<WorkerHandle> {
    onBenchJob(onJob);
    const options: WorkerOptions = { databaseUrl: url, schema, node: 'bench-node', logger: quiet, ...(settings as Partial<WorkerOptions>) };
    const worker = new Worker(options);
    const running = worker.run();
    running.catch((error: unknown) => {
      console.error(`jobmaster worker failed: ${(error as Error).message}`);
      process.exit(1);
    });
    return {
      async stop() {
        await worker.stop();
      },
    };
  },
};
