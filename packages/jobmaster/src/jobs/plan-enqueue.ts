import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { translateDatabaseError } from '../db/database-errors.js';
import type { JsonValue } from '../registry/task-definition.js';
import { checkRequest, type EnqueueOutcome, type JobRequest } from './enqueue-request.js';

/** A job a plan would insert, or one that exists and that it would meet or wait for. */
export interface PlannedJob {
  /** `type_key.task_key` */
  task: string;
  arguments: Record<string, JsonValue>;
  priority: number;
  processUnits: number;
}

/**
 * A dependency the claim's check would find unmet, given the completions recorded now: a job
 * it would insert (`isNew`), or one waiting or running that it would wait for (`jobId`).
 */
export interface PlannedDependency extends PlannedJob {
  /** Which job needs it: 'job', 'combination N', 'step NAME', 'dependency N' or 'job ID'. */
  neededBy: string;
  /** How later entries name this one in `neededBy`. */
  ref: string;
  /** Set when the job exists. */
  jobId: string | null;
  /** True when the claim would insert it (the first time the plan meets it). */
  isNew: boolean;
  /** 'to insert', or the existing job's status. */
  status: string;
  /** 1 for a dependency of the job itself, 2 for one of that dependency, and so on. */
  depth: number;
}

/** What `planEnqueue` found the enqueue would do now. */
export interface EnqueuePlan {
  outcome: EnqueueOutcome;
  /** The job as it would be (defaults filled in), or the existing one it would meet (`jobId`, `status`). */
  job: PlannedJob & {
    typeKey: string;
    taskKey: string;
    maxAttempts: number;
    runAt: string;
    jobKey: string | null;
    jobId?: string;
    status?: string;
  };
  /** The waiting or running job holding the job key now, if any. */
  keyHolder: { jobId: string; status: string; jobKey: string } | null;
  /** For "ALL" arguments of write-all parameters: the jobs the claim would fan the job out into. */
  fanOut: { parameters: string[]; total: number; new: number; combinations: Array<Record<string, JsonValue>> } | null;
  /** Dependencies, recursively, in the order the claims would meet them. */
  dependencies: PlannedDependency[];
}

export interface RawDependency {
  needed_by: string;
  ref: string;
  job_id?: string;
  task: string;
  arguments: Record<string, JsonValue>;
  priority: number;
  process_units: number;
  status: string;
  depth: number;
  new: boolean;
}

/** plan_dependencies' JSON, as the SDK returns it. */
export function toPlannedDependencies(raw: RawDependency[] | null): PlannedDependency[] {
  return (raw ?? []).map((d) => ({
    neededBy: d.needed_by,
    ref: d.ref,
    jobId: d.job_id ?? null,
    task: d.task,
    arguments: d.arguments,
    priority: d.priority,
    processUnits: d.process_units,
    status: d.status,
    depth: d.depth,
    isNew: d.new,
  }));
}

interface RawPlan {
  outcome: EnqueueOutcome;
  job: {
    task: string;
    type_key: string;
    task_key: string;
    arguments: Record<string, JsonValue>;
    priority: number;
    process_units: number;
    max_attempts: number;
    run_at: string;
    job_key: string | null;
    job_id?: string;
    status?: string;
  };
  key_holder: { job_id: string; status: string; job_key: string } | null;
  fan_out: EnqueuePlan['fanOut'];
  dependencies: RawDependency[];
}

/**
 * A dry run of `enqueueJob`: what it would do now, with nothing written. The database runs the
 * real enqueue, and what the claim would do with the job (fan-out, the dependency check,
 * recursively), in a subtransaction it rolls back (`plan_enqueue`), so a request the enqueue
 * refuses throws the same error here. (Identity sequences do advance: ids are never reused.)
 */
export async function planEnqueue(db: Queryable, schema: string, job: JobRequest): Promise<EnqueuePlan> {
  const { args, priority, runAt, jobKey, onConflict } = checkRequest(job);
  try {
    const { rows } = await db.query<{ plan: RawPlan }>(
      `select ${quoteSchema(schema)}.plan_enqueue($1, $2, $3, $4::jsonb, $5::timestamptz, $6, $7) as plan`,
      [job.typeKey, job.taskKey, priority, args, runAt, jobKey, onConflict],
    );
    const p = rows[0]!.plan;
    return {
      outcome: p.outcome,
      job: {
        task: p.job.task,
        typeKey: p.job.type_key,
        taskKey: p.job.task_key,
        arguments: p.job.arguments,
        priority: p.job.priority,
        processUnits: p.job.process_units,
        maxAttempts: p.job.max_attempts,
        runAt: p.job.run_at,
        jobKey: p.job.job_key,
        ...(p.job.job_id !== undefined && { jobId: p.job.job_id }),
        ...(p.job.status !== undefined && { status: p.job.status }),
      },
      keyHolder: p.key_holder && { jobId: p.key_holder.job_id, status: p.key_holder.status, jobKey: p.key_holder.job_key },
      fanOut: p.fan_out,
      dependencies: toPlannedDependencies(p.dependencies),
    };
  } catch (error) {
    throw translateDatabaseError(error, { schema, typeKey: job.typeKey, taskKey: job.taskKey });
  }
}
