import type pg from 'pg';
import { applyFunctions } from '../db/functions.js';
import { countJobsByStatus } from '../jobs/count-jobs-by-status.js';
import { applyMigrations, lockSchemaForDeploy } from '../db/migrations.js';
import { quoteSchema } from '../db/schema-name.js';
import { UnsupportedPostgresVersionError } from '../errors.js';
import type { TaskDefinition } from '../registry/task-definition.js';
import { syncRegistry, type RegistryChanges } from './sync-registry.js';
import { syncCodeSchedules, type ScheduleChanges } from './sync-schedules.js';
import { syncWorkflows, type WorkflowChanges } from './sync-workflows.js';
import type { ResolvedWorkflow } from '../workflow/validate-workflows.js';

/** What `deploy` did. */
export interface DeployResult {
  schema: string;
  /** True when the schema was dropped first (`reset`). */
  reset: boolean;
  /** Migrations applied by this deploy, e.g. `0001_schema`; empty when the schema was current. */
  migrationsApplied: string[];
  tasks: RegistryChanges;
  /** Schedules declared in code, synced after the tasks (run-time schedules are left alone). */
  schedules: ScheduleChanges;
  /** Workflows (files and `defineWorkflow`), synced after the tasks. */
  workflows: WorkflowChanges;
}

/**
 * The oldest PostgreSQL major JobMaster supports: 14. Every supported major is proven by the
 * whole suite (`pnpm test:matrix`); 13 reached end of life in November 2025.
 */
export const MINIMUM_POSTGRES_MAJOR = 14;

/**
 * Reads the server's `server_version_num` and throws `UnsupportedPostgresVersionError` when
 * its major is older than `minimumMajor`. `deploy` calls it before anything is written.
 */
export async function refuseUnsupportedServer(
  client: Pick<pg.ClientBase, 'query'>,
  minimumMajor: number = MINIMUM_POSTGRES_MAJOR,
): Promise<void> {
  const { rows } = await client.query<{ num: number }>(`select current_setting('server_version_num')::int as num`);
  const num = rows[0]?.num ?? 0;
  if (majorOf(num) < minimumMajor) throw new UnsupportedPostgresVersionError(formatVersion(num), minimumMajor);
}

// From PostgreSQL 10 on, 130023 is 13.23 (major 13); before it, 90624 was 9.6.24 (major 9.6).
function majorOf(num: number): number {
  return num >= 100_000 ? Math.floor(num / 10_000) : Math.floor(num / 10_000) + (Math.floor(num / 100) % 100) / 10;
}

function formatVersion(num: number): string {
  const major = Math.floor(num / 10_000);
  return num >= 100_000 ? `${major}.${num % 10_000}` : `${major}.${Math.floor(num / 100) % 100}.${num % 100}`;
}

/** What `deploy --reset` would destroy. */
export interface ResetImpact {
  schema: string;
  exists: boolean;
  tasks: number;
  jobs: number;
  jobsByStatus: Record<string, number>;
}

/**
 * Creates or upgrades the schema (pending migrations, then every function's current
 * definition) and syncs the registry and the workflows, in one transaction under an advisory
 * lock: concurrent deploys queue behind each other and the second finds nothing to do.
 * Validate the registry (it throws `RegistryError`) and the workflows (`validateWorkflows`)
 * before calling this. A server older than PostgreSQL 14 is refused with
 * `UnsupportedPostgresVersionError` before anything is written. (Default workflows: none, so
 * every deployed workflow is removed)
 */
export async function deploy(
  pool: pg.Pool,
  options: { schema: string; definitions: TaskDefinition[]; workflows?: ResolvedWorkflow[]; reset?: boolean },
): Promise<DeployResult> {
  const { schema, definitions, workflows = [], reset = false } = options;
  const ident = quoteSchema(schema);
  const client = await pool.connect();
  try {
    await refuseUnsupportedServer(client);
    await client.query('begin');
    await lockSchemaForDeploy(client, schema);
    if (reset) await client.query(`drop schema if exists ${ident} cascade`);
    const applied = await applyMigrations(client, schema);
    await applyFunctions(client, schema);
    // A new schema version may have added what the completions of dependency tasks are
    // recorded in (version 8): fill it, as a registry change does (sync-registry).
    if (applied.length > 0) await client.query(`select ${ident}.track_completions()`);
    const tasks = await syncRegistry(client, schema, definitions);
    const schedules = await syncCodeSchedules(client, schema, definitions);
    const workflowChanges = await syncWorkflows(client, schema, workflows);
    await client.query('commit');
    return { schema, reset, migrationsApplied: applied.map((m) => m.name), tasks, schedules, workflows: workflowChanges };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** Counts what dropping the schema would destroy, for the `--reset` confirmation. */
export async function describeReset(pool: pg.Pool, schema: string): Promise<ResetImpact> {
  const ident = quoteSchema(schema);
  const { rows } = await pool.query<{ exists: boolean; deployed: boolean }>(
    `select exists (select 1 from pg_namespace where nspname = $1) as exists,
            to_regclass($2) is not null as deployed`,
    [schema, `${ident}.jobs`],
  );
  const impact: ResetImpact = { schema, exists: rows[0]?.exists ?? false, tasks: 0, jobs: 0, jobsByStatus: {} };
  if (!rows[0]?.deployed) return impact;
  impact.jobsByStatus = await countJobsByStatus(pool, schema);
  for (const n of Object.values(impact.jobsByStatus)) impact.jobs += n;
  const tasks = await pool.query<{ n: number }>(`select count(*)::int as n from ${ident}.tasks`);
  impact.tasks = tasks.rows[0]?.n ?? 0;
  return impact;
}
