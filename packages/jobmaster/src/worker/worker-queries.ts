import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import { cancelRunningJobs } from '../jobs/cancel-running-jobs.js';
import { claimJobs, type ClaimResult, type ClaimerIdentity } from '../jobs/claim-jobs.js';
import { completeJobs, type NotCompleted } from '../jobs/complete-jobs.js';
import { failJobs, type FailedAttempt } from '../jobs/fail-jobs.js';
import { findTooLargeJobs, type TooLargeJob } from '../jobs/find-too-large-jobs.js';
import { heartbeatJobs } from '../jobs/heartbeat-jobs.js';
import { releaseJobs } from '../jobs/release-jobs.js';

export type { ClaimResult, ClaimerIdentity, HandledJob } from '../jobs/claim-jobs.js';

/**
 * One worker's database: its row in `workers` (kept here, the workers table being the
 * worker's own) and the queue operations of `jobs/` bound to its pool and schema, so the
 * claim stream, the outcome writer and the heartbeat share one object.
 */
export class WorkerQueries {
  readonly #s: string;

  constructor(
    private readonly db: Queryable,
    private readonly schema: string,
  ) {
    this.#s = quoteSchema(schema);
  }

  /** Announces the worker (for `jm status` and `jm explain`) and forgets workers not seen for a day. */
  async register(who: ClaimerIdentity, concurrency: number): Promise<void> {
    await this.db.query(`delete from ${this.#s}.workers where last_seen_at < now() - interval '1 day'`);
    // Its tasks too, as it passes them to claim_jobs: `jm explain` tells when no live worker runs a job's task.
    await this.db.query(
      `insert into ${this.#s}.workers (worker_id, node, pid, process_units, concurrency, tasks) values ($1, $2, $3, $4, $5, $6)`,
      [who.workerId, who.node, who.pid, who.budget, concurrency, who.tasks],
    );
  }

  async unregister(workerId: string): Promise<void> {
    await this.db.query(`delete from ${this.#s}.workers where worker_id = $1`, [workerId]);
  }

  claim(who: ClaimerIdentity, limit: number, start: number, started: string[]): Promise<ClaimResult> {
    return claimJobs(this.db, this.schema, who, limit, start, started);
  }

  complete(workerId: string, results: Array<{ id: string; json: string }>): Promise<NotCompleted> {
    return completeJobs(this.db, this.schema, workerId, results);
  }

  fail(workerId: string, failures: Array<{ id: string; message: string; stack: string | null }>): Promise<Map<string, FailedAttempt>> {
    return failJobs(this.db, this.schema, workerId, failures);
  }

  cancel(workerId: string, ids: string[], message: string): Promise<Set<string>> {
    return cancelRunningJobs(this.db, this.schema, workerId, ids, message);
  }

  heartbeat(workerId: string, ids: string[], leaseSeconds: number, started: string[] = []): Promise<Map<string, boolean>> {
    return heartbeatJobs(this.db, this.schema, workerId, ids, leaseSeconds, started);
  }

  release(workerId: string, ids: string[], message: string): Promise<Set<string>> {
    return releaseJobs(this.db, this.schema, workerId, ids, message);
  }

  tooLarge(tasks: Array<{ typeKey: string; taskKey: string }>, budget: number): Promise<TooLargeJob[]> {
    return findTooLargeJobs(this.db, this.schema, tasks, budget);
  }
}
