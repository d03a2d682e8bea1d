import { translateDatabaseError } from '../db/database-errors.js';
import type { Queryable } from '../db/queryable.js';
import { quoteSchema } from '../db/schema-name.js';
import type { WorkflowRunStatus } from './workflow-runs.js';

/** A run's state as a follower sees it: its status and each step's. */
export interface WorkflowRunState {
  runId: string;
  workflow: string;
  status: WorkflowRunStatus;
  /** Step id → 'pending', 'started', 'complete', 'failed', 'cancelled' or 'skipped'. */
  steps: Record<string, string>;
  createdAt: Date;
  finishedAt: Date | null;
}

interface StateRow {
  id: string;
  workflow_name: string;
  status: WorkflowRunStatus;
  steps: Record<string, string> | null;
  created_at: Date;
  finished_at: Date | null;
}

/**
 * The states of the runs `runIds` and of the runs started after run `afterId` (at most
 * `limit` of those, oldest first), through the primary keys. Returns them with the newest run
 * id seen, the cursor for the next call.
 */
export async function readWorkflowRunStates(
  db: Queryable,
  schema: string,
  runIds: string[],
  afterId: string,
  limit = 200,
): Promise<{ runs: WorkflowRunState[]; lastRunId: string }> {
  const s = quoteSchema(schema);
  const columns = `r.id::text, r.workflow_name, r.status, r.created_at, r.finished_at,
    (select jsonb_object_agg(st.step_id, st.status) from ${s}.workflow_run_steps st where st.run_id = r.id) as steps`;
  try {
    const [known, fresh] = await Promise.all([
      runIds.length
        ? db.query<StateRow>(`select ${columns} from ${s}.workflow_runs r where r.id = any ($1::bigint[])`, [runIds])
        : Promise.resolve({ rows: [] as StateRow[] }),
      db.query<StateRow>(`select ${columns} from ${s}.workflow_runs r where r.id > $1::bigint order by r.id limit $2`, [afterId, limit]),
    ]);
    const byId = new Map<string, StateRow>();
    for (const row of [...known.rows, ...fresh.rows]) byId.set(row.id, row);
    const last = fresh.rows[fresh.rows.length - 1];
    return {
      runs: [...byId.values()]
        .sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)))
        .map((r) => ({
          runId: r.id,
          workflow: r.workflow_name,
          status: r.status,
          steps: r.steps ?? {},
          createdAt: r.created_at,
          finishedAt: r.finished_at,
        })),
      lastRunId: last ? last.id : afterId,
    };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}

/**
 * Where a follower of run changes starts: the newest run id, and the running runs (newest
 * first, at most `limit`) whose later changes it should watch for.
 */
export async function currentRunCursor(db: Queryable, schema: string, limit = 500): Promise<{ lastRunId: string; running: string[] }> {
  const s = quoteSchema(schema);
  try {
    const [last, running] = await Promise.all([
      db.query<{ id: string }>(`select coalesce(max(id), 0)::text as id from ${s}.workflow_runs`),
      db.query<{ id: string }>(`select id::text from ${s}.workflow_runs where status = 'running' order by id desc limit $1`, [limit]),
    ]);
    return { lastRunId: last.rows[0]!.id, running: running.rows.map((r) => r.id) };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
