import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';

/** A worker that has not been seen for this long is taken to be gone. */
export const WORKER_GONE_AFTER_SECONDS = 60;

/** Process units in use on one node against its budget. */
export interface NodeUnits {
  node: string;
  /** Live worker processes on the node (seen within the last minute). */
  workers: number;
  /**
   * The node's process-unit budget as its live workers announced it (the largest, if they
   * differ); null when no live worker reports one.
   */
  budget: number | null;
  /** Units of the jobs running on the node. */
  inUse: number;
  /** Jobs running on the node. */
  runningJobs: number;
  /** When a worker on the node was last seen. */
  lastSeenAt: Date | null;
}

/**
 * Every node with a live worker or a running job, by name: units in use against its budget.
 * A node with running jobs but no live worker shows budget null (its jobs come back to the
 * queue when their leases lapse).
 */
export async function listNodeUnits(db: Queryable, schema: string): Promise<NodeUnits[]> {
  const s = quoteSchema(schema);
  const { rows } = await db.query<{
    node: string;
    workers: number | null;
    budget: number | null;
    in_use: string | null;
    running_jobs: string | null;
    last_seen_at: Date | null;
  }>(
    `with live as (
       select w.node, count(*)::int as workers, max(w.process_units) as budget, max(w.last_seen_at) as last_seen_at
         from ${s}.workers w
        where w.last_seen_at > now() - make_interval(secs => $1)
        group by w.node
     ), used as (
       select j.node, sum(j.process_units) as in_use, count(*) as running_jobs
         from ${s}.jobs j
        where j.status = 'running' and j.node is not null
        group by j.node
     )
     select coalesce(l.node, u.node) as node, l.workers, l.budget, u.in_use, u.running_jobs, l.last_seen_at
       from live l full join used u on u.node = l.node
      order by 1`,
    [WORKER_GONE_AFTER_SECONDS],
  );
  return rows.map((r) => ({
    node: r.node,
    workers: r.workers ?? 0,
    budget: r.budget,
    inUse: Number(r.in_use ?? 0),
    runningJobs: Number(r.running_jobs ?? 0),
    lastSeenAt: r.last_seen_at,
  }));
}
