import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';

/** A job a worker took from the queue to run, as `claim_jobs` returned it. */
export interface ClaimedJob {
  id: string;
  typeKey: string;
  taskKey: string;
  arguments: Record<string, unknown>;
  priority: number;
  processUnits: number;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** The enqueuer's trace context (an OpenTelemetry carrier such as `{ traceparent }`), or null. */
  traceContext: Record<string, string> | null;
  /** Seconds the job had been due when it was claimed (since its run-at, or its creation if later). */
  waitedSeconds: number;
  /** `performance.now()` when the claim returned it: the time it then waits in the worker adds to its queue wait. */
  claimedAt: number;
}

/** A claimed job the database handled itself instead of handing it over to run. */
export interface HandledJob {
  id: string;
  task: string;
  action: 'fanned_out' | 'waiting' | 'failed';
  message: string;
  spawned: number;
}

/** One claim round trip: jobs to run, and jobs the database fanned out, sent back to wait or failed. */
export interface ClaimResult {
  run: ClaimedJob[];
  /** Ids of the jobs of `run` held ahead: their attempt counts once the worker reports their start. */
  held: Set<string>;
  handled: HandledJob[];
}

/** Who is claiming: the identity and limits `claim_jobs` needs. */
export interface ClaimerIdentity {
  workerId: string;
  node: string;
  pid: number;
  budget: number;
  leaseSeconds: number;
  /** 'type.task' names this worker can run. */
  tasks: string[];
  maxDependencyWaits: number;
}

interface ClaimRow {
  id: string;
  type_key: string;
  task_key: string;
  arguments: Record<string, unknown>;
  priority: number;
  process_units: number;
  attempts: number;
  max_attempts: number;
  action: 'run' | 'fanned_out' | 'waiting' | 'failed';
  message: string | null;
  spawned: number;
  trace_context: Record<string, string> | null;
  waited_seconds: number | null;
}

/**
 * Claims up to `limit` jobs for a worker, within its node's process-unit budget, in one round
 * trip (the SQL `claim_jobs`): jobs to run, plus the ones the database fanned out, sent back
 * to wait for dependencies or failed. The first `start` jobs to run start at once; the rest
 * are held ahead and count their attempt when their start is reported (`started`: held jobs
 * started since the last report). Job ids stay strings (bigint).
 */
export async function claimJobs(
  db: Queryable,
  schema: string,
  who: ClaimerIdentity,
  limit: number,
  start: number = limit,
  started: readonly string[] = [],
): Promise<ClaimResult> {
  const sql = `select * from ${quoteSchema(schema)}.claim_jobs($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::bigint[])`;
  const { rows } = await db.query<ClaimRow>(sql, [
    who.workerId,
    who.node,
    who.pid,
    who.budget,
    limit,
    who.leaseSeconds,
    who.tasks,
    who.maxDependencyWaits,
    start,
    started,
  ]);
  const claimedAt = performance.now();
  const result: ClaimResult = { run: [], held: new Set(), handled: [] };
  for (const r of rows) {
    if (r.action === 'run') {
      if (result.run.length >= start) result.held.add(String(r.id));
      result.run.push({
        id: String(r.id),
        typeKey: r.type_key,
        taskKey: r.task_key,
        arguments: r.arguments,
        priority: r.priority,
        processUnits: r.process_units,
        attempt: r.attempts,
        maxAttempts: r.max_attempts,
        traceContext: r.trace_context,
        waitedSeconds: r.waited_seconds ?? 0,
        claimedAt,
      });
    } else {
      result.handled.push({
        id: String(r.id),
        task: `${r.type_key}.${r.task_key}`,
        action: r.action,
        message: r.message ?? '',
        spawned: r.spawned,
      });
    }
  }
  return result;
}
