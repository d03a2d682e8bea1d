import { InvalidArgumentsError } from './errors.js';
import type pg from 'pg';
import { resolveDatabaseUrl } from './config/settings.js';
import { createPool, translateConnectionError } from './db/connect.js';
import type { Queryable } from './db/queryable.js';
import { DEFAULT_SCHEMA, validateSchemaName } from './db/schema-name.js';
import { deploy, type DeployResult } from './deploy/deploy.js';
import { enqueueJob } from './jobs/enqueue-job.js';
import { enqueueJobs } from './jobs/enqueue-jobs.js';
import { explainJob, type JobExplanation } from './jobs/explain-job.js';
import type { JobIdInput } from './jobs/job-id.js';
import { planEnqueue, type EnqueuePlan } from './jobs/plan-enqueue.js';
import type { EnqueueResult, OnConflict } from './jobs/enqueue-request.js';
import { parseTaskName } from './jobs/task-name.js';
import { registry } from './registry/index.js';
import type { JsonValue } from './registry/task-definition.js';
import { declaredWorkflows } from './workflow/define-workflow.js';
import { startWorkflow, startWorkflows, type WorkflowStartResult } from './workflow/start-workflow.js';
import { planWorkflowRun, type WorkflowRunPlan } from './workflow/plan-workflow-run.js';
import { validateWorkflows, type ResolvedWorkflow } from './workflow/validate-workflows.js';

/** Options of {@link JobMaster.startWorkflow}. */
export interface StartWorkflowOptions {
  /** Your name for the run, unique among the workflow's running runs. (Default: none) */
  runKey?: string;
  /** When `runKey` is held by a running run: 'raise', 'ignore' or 'replace'. (Default: 'raise') */
  onConflict?: OnConflict;
  /** Run the start on this client, e.g. inside your own transaction. */
  client?: Queryable;
}

/** How to reach the database. */
export interface JobMasterOptions {
  /** PostgreSQL connection string. (Default: `DATABASE_URL`) */
  databaseUrl?: string;
  /** An existing pool to use instead; JobMaster will not close it. */
  pool?: pg.Pool;
  /** Schema JobMaster lives in. (Default: "jobmaster") */
  schema?: string;
}

/** A task named `type_key.task_key`, or a function registered with `@task`/`defineTask`. */
export type TaskReference = string | ((...args: never[]) => unknown);

/** Per-job enqueue options. */
export interface EnqueueOptions {
  /** Higher runs first. (Default: 0) */
  priority?: number;
  /** Not before this time. (Default: now) */
  runAt?: Date;
  /**
   * Your name for the job, unique among the task's waiting and running jobs; a keyed job is
   * identified by its key, not by its arguments. (Default: none)
   */
  jobKey?: string;
  /** When `jobKey` is held by a waiting or running job: `'raise'`, `'ignore'` or `'replace'` (see {@link OnConflict}). (Default: 'raise') */
  onConflict?: OnConflict;
  /** Run the insert on this client, e.g. inside your own transaction. */
  client?: Queryable;
}

/** One job of a batch for `enqueueMany`. */
export interface BatchJob {
  task: TaskReference;
  args?: Record<string, JsonValue>;
  priority?: number;
  runAt?: Date;
  /** As {@link EnqueueOptions.jobKey}. (Default: none) */
  jobKey?: string;
  /** As {@link EnqueueOptions.onConflict}. (Default: 'raise') */
  onConflict?: OnConflict;
}

/**
 * The TypeScript door to a JobMaster schema: enqueue jobs (alone, in batches or inside your
 * own transaction) and deploy the registry. Arguments are validated by the database with the
 * same rules as `call jobmaster.insert_job(...)` and `jm enqueue`.
 */
export class JobMaster {
  readonly schema: string;
  readonly pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #url: string | undefined;

  constructor(options: JobMasterOptions = {}) {
    this.schema = validateSchemaName(options.schema ?? DEFAULT_SCHEMA);
    const database = resolveDatabaseUrl(options.databaseUrl, 'databaseUrl');
    this.#url = database?.url;
    if (options.pool) {
      this.pool = options.pool;
      this.#ownsPool = false;
    } else {
      if (!database) throw new TypeError('JobMaster needs a databaseUrl, a pool, or DATABASE_URL in the environment');
      this.pool = createPool(database.url, { source: database.source });
      this.#ownsPool = true;
    }
  }

  /**
   * Puts one job on the queue; resolves to its id (or the id of the identical waiting/running
   * job, or of the job holding `jobKey` under `onConflict` 'ignore'/'replace'). Throws
   * `JobKeyConflictError` when the key is held and `onConflict` is 'raise' (the default).
   */
  async enqueue(task: TaskReference, args: Record<string, JsonValue> = {}, options: EnqueueOptions = {}): Promise<string> {
    return (await this.enqueueDetailed(task, args, options)).id;
  }

  /** Like `enqueue`, also telling whether a new job was inserted and what happened (`outcome`). */
  async enqueueDetailed(task: TaskReference, args: Record<string, JsonValue> = {}, options: EnqueueOptions = {}): Promise<EnqueueResult> {
    const { client, ...rest } = options;
    return await this.#translate(() => enqueueJob(client ?? this.pool, this.schema, { ...resolveTask(task), args, ...rest }));
  }

  /** Puts many jobs on the queue in one round trip, all or none; resolves to their ids in order. */
  async enqueueMany(jobs: BatchJob[], options: { client?: Queryable } = {}): Promise<string[]> {
    const requests = jobs.map(({ task, ...rest }) => ({ ...resolveTask(task), ...rest }));
    const results = await this.#translate(() => enqueueJobs(options.client ?? this.pool, this.schema, requests));
    return results.map((r) => r.id);
  }

  /**
   * Migrates the schema and syncs the tasks registered in this process into it, with the
   * workflows given (Default: those declared with `defineWorkflow` in this process).
   */
  async deploy(options: { reset?: boolean; workflows?: ResolvedWorkflow[] } = {}): Promise<DeployResult> {
    const definitions = registry.definitions();
    const workflows = options.workflows ?? validateWorkflows([...declaredWorkflows().values()], definitions);
    return await this.#translate(() => deploy(this.pool, { schema: this.schema, definitions, workflows, reset: options.reset ?? false }));
  }

  /**
   * Starts a run of a deployed workflow; resolves to the run's id. Its steps that require
   * none are on the queue when this resolves (or when your transaction commits, with `client`).
   */
  async startWorkflow(name: string, params: Record<string, JsonValue> = {}, options: StartWorkflowOptions = {}): Promise<string> {
    return (await this.startWorkflowDetailed(name, params, options)).runId;
  }

  /**
   * Starts a run of the workflow for each parameter object, in one round trip and all or
   * none; resolves to the run ids in the same order. For many runs at once (a backfill, a
   * fan-out over days): each run's steps that require none are on the queue when this
   * resolves. Runs started this way have no run key.
   */
  async startWorkflows(
    name: string,
    paramsList: Array<Record<string, JsonValue>>,
    options: { client?: Queryable } = {},
  ): Promise<string[]> {
    return await this.#translate(() => startWorkflows(options.client ?? this.pool, this.schema, name, paramsList));
  }

  /** Like `startWorkflow`, also telling what happened (`outcome`: started, existing, replaced). */
  async startWorkflowDetailed(
    name: string,
    params: Record<string, JsonValue> = {},
    options: StartWorkflowOptions = {},
  ): Promise<WorkflowStartResult> {
    const { client, runKey, onConflict } = options;
    return await this.#translate(() =>
      startWorkflow(client ?? this.pool, this.schema, {
        name,
        params,
        ...(runKey !== undefined && { runKey }),
        ...(onConflict !== undefined && { onConflict }),
      }),
    );
  }

  /**
   * What `enqueue` would do now, with nothing written: the job with its defaults, or the job it
   * would meet; the fan-out; the dependency jobs the claims would insert, recursively.
   * Throws what `enqueue` would throw for the same request.
   */
  async planEnqueue(task: TaskReference, args: Record<string, JsonValue> = {}, options: EnqueueOptions = {}): Promise<EnqueuePlan> {
    const { client, ...rest } = options;
    return await this.#translate(() => planEnqueue(client ?? this.pool, this.schema, { ...resolveTask(task), args, ...rest }));
  }

  /** What `startWorkflow` would do now (the run's steps, resolved arguments, dependencies), with nothing written. */
  async planWorkflow(name: string, params: Record<string, JsonValue> = {}, options: StartWorkflowOptions = {}): Promise<WorkflowRunPlan> {
    const { client, runKey, onConflict } = options;
    return await this.#translate(() =>
      planWorkflowRun(client ?? this.pool, this.schema, {
        name,
        params,
        ...(runKey !== undefined && { runKey }),
        ...(onConflict !== undefined && { onConflict }),
      }),
    );
  }

  /** Why a job is not running now, or what happened to it, by the claim's rules (`jm explain`). */
  async explain(id: JobIdInput): Promise<JobExplanation> {
    return await this.#translate(() => explainJob(this.pool, this.schema, id));
  }

  /** Closes the pool if JobMaster opened it. */
  async close(): Promise<void> {
    if (this.#ownsPool) await this.pool.end();
  }

  async #translate<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw (this.#url && translateConnectionError(error, this.#url)) || error;
    }
  }
}

function resolveTask(task: TaskReference): { typeKey: string; taskKey: string } {
  if (typeof task === 'string') return parseTaskName(task);
  if (typeof task !== 'function') {
    throw new InvalidArgumentsError(
      `task must be a name such as things1.foo or a function registered with @task or defineTask, got ${task === null ? 'null' : typeof task}`,
      { value: task },
    );
  }
  const definition = registry.definitionOf(task);
  return { typeKey: definition.typeKey, taskKey: definition.taskKey };
}
