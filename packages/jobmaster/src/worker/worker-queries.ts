import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import type { ClaimedJob, TooLargeJob } from './worker-events.js';

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
}

/**
 * The worker's side of the SQL in migrations 0002, 0005 and 0006: one method per function, each a single
 * round trip whatever the number of jobs. Job ids stay strings (bigint).
 */
export class WorkerQueries {
  readonly #s: string;

  constructor(
    private readonly db: Queryable,
    schema: string,
  ) {
    this.#s = quoteSchema(schema);
  }

  /** Announces the worker (for `jm status`) and forgets workers not seen for a day. */
  async register(who: ClaimerIdentity, concurrency: number): Promise<void> {
    await this.db.query(`delete from ${this.#s}.workers where last_seen_at < now() - interval '1 day'`);
    await this.db.query(`insert into ${this.#s}.workers (worker_id, node, pid, process_units, concurrency) values ($1, $2, $3, $4, $5)`, [
      who.workerId,
      who.node,
      who.pid,
      who.budget,
      concurrency,
    ]);
  }

  async unregister(workerId: string): Promise<void> {
    await this.db.query(`delete from ${this.#s}.workers where worker_id = $1`, [workerId]);
  }

  /**
   * Claims up to `limit` jobs (see claim_jobs), of which the first `start` start at once; the
   * rest are held ahead. `started`: held jobs started since the last report.
   */
  async claim(who: ClaimerIdentity, limit: number, start: number, started: string[]): Promise<ClaimResult> {
    const { rows } = await this.db.query<ClaimRow>(`select * from ${this.#s}.claim_jobs($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
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

  /**
   * Completes jobs; each result is already serialised as JSON text, so it is spliced into
   * the payload without parsing it again. Returns the ids it could not complete (this
   * worker no longer holds them), usually none.
   */
  async complete(workerId: string, results: Array<{ id: string; json: string }>): Promise<Set<string>> {
    const ids = `{${results.map((r) => r.id).join(',')}}`;
    const payload = `[${results.map((r) => r.json).join(',')}]`;
    const { rows } = await this.db.query<{ id: string }>(`select id from ${this.#s}.complete_jobs($1, $2::bigint[], $3::jsonb) id`, [
      workerId,
      ids,
      payload,
    ]);
    return new Set(rows.map((r) => String(r.id)));
  }

  /** Records failed attempts; returns for each job held whether it failed for good, and when a retry may start. */
  async fail(
    workerId: string,
    failures: Array<{ id: string; message: string; stack: string | null }>,
  ): Promise<Map<string, { final: boolean; runAt: Date }>> {
    const payload = JSON.stringify(failures.map((f) => ({ id: f.id, message: f.message, stack: f.stack })));
    const { rows } = await this.db.query<{ id: string; final: boolean; run_at: Date }>(
      `select id, final, run_at from ${this.#s}.fail_jobs($1, $2::jsonb)`,
      [workerId, payload],
    );
    return new Map(rows.map((r) => [String(r.id), { final: r.final, runAt: r.run_at }]));
  }

  /** Marks cancelled jobs as such (and fails their dependents); returns the ids cancelled. */
  async cancel(workerId: string, ids: string[], message: string): Promise<Set<string>> {
    const { rows } = await this.db.query<{ id: string }>(`select id from ${this.#s}.cancel_running_jobs($1, $2::bigint[], $3) id`, [
      workerId,
      ids,
      message,
    ]);
    return new Set(rows.map((r) => String(r.id)));
  }

  /**
   * Renews leases and reports the starts of held jobs (`started`); returns the jobs still held,
   * each with whether cancellation was requested.
   */
  async heartbeat(workerId: string, ids: string[], leaseSeconds: number, started: string[] = []): Promise<Map<string, boolean>> {
    const { rows } = await this.db.query<{ id: string; cancel_requested: boolean }>(
      `select id, cancel_requested from ${this.#s}.heartbeat($1, $2::bigint[], $3, $4::bigint[])`,
      [workerId, ids, leaseSeconds, started],
    );
    return new Map(rows.map((r) => [String(r.id), r.cancel_requested]));
  }

  /** Gives running jobs back to the queue without counting the attempt. */
  async release(workerId: string, ids: string[], message: string): Promise<Set<string>> {
    const { rows } = await this.db.query<{ id: string }>(`select id from ${this.#s}.release_jobs($1, $2::bigint[], $3) id`, [
      workerId,
      ids,
      message,
    ]);
    return new Set(rows.map((r) => String(r.id)));
  }

  /** Waiting jobs of these tasks whose units exceed the whole budget (at most 100). */
  async tooLarge(tasks: Array<{ typeKey: string; taskKey: string }>, budget: number): Promise<TooLargeJob[]> {
    // Joined per task so the (type_key, task_key, status) index is used rather than a scan of all jobs.
    const { rows } = await this.db.query<{ id: string; task: string; process_units: number }>(
      `select j.id, j.type_key || '.' || j.task_key as task, j.process_units
         from unnest($2::text[], $3::text[]) t(type_key, task_key)
         join ${this.#s}.jobs j on j.type_key = t.type_key and j.task_key = t.task_key and j.status = 'waiting'
        where j.process_units > $1
        order by j.id limit 100`,
      [budget, tasks.map((t) => t.typeKey), tasks.map((t) => t.taskKey)],
    );
    return rows.map((r) => ({ id: String(r.id), task: r.task, processUnits: r.process_units }));
  }
}
