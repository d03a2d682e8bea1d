// A large queue for the timings that must hold at a million jobs (the serve suite, the status
// and metrics scripts): tasks, jobs in every status over 30 days, and live workers, written
// straight into a deployed schema by INSERT ... SELECT.
import type pg from 'pg';

/** 20 tasks over 4 type keys (bench0.task0 … bench3.task19), 1 to 3 process units each. */
export async function fillLargeQueueTasks(pool: pg.Pool, s: string): Promise<void> {
  await pool.query(
    `insert into ${s}.tasks (type_key, task_key, process_units, max_attempts)
     select 'bench' || (g % 4), 'task' || g, 1 + g % 3, 3 from generate_series(0, 19) g`,
  );
}

/**
 * `jobs` rows of those tasks in one INSERT ... SELECT, mixed statuses over 30 days (13% waiting,
 * 5% failed, 2% cancelled, 0.1% running, the rest complete), as a year of a busy queue looks.
 */
export async function fillLargeQueueJobs(pool: pg.Pool, s: string, jobs: number): Promise<void> {
  await pool.query(
    `insert into ${s}.jobs (type_key, task_key, priority, arguments, status, process_units, run_at, created_at,
                            started_at, finished_at, attempts, max_attempts, node, pid, worker_id, lease_expires_at,
                            result, error, message)
     select 'bench' || (t % 4), 'task' || t, g % 10, jsonb_build_object('n', g), st,
            1 + t % 3, created, created, started,
            case when st in ('complete', 'failed', 'cancelled') then started + interval '2 seconds' end,
            case when st = 'failed' then 3 when st = 'waiting' then 0 else 1 end, 3,
            case when st in ('running', 'complete', 'failed') then 'node-' || (g % 5) end,
            case when st in ('running', 'complete', 'failed') then 1000 + g % 50 end,
            case when st = 'running' then 'w-' || (g % 5) end,
            case when st = 'running' then now() + interval '1 minute' end,
            case when st = 'complete' then '{"ok": true}'::jsonb end,
            case when st = 'failed' then jsonb_build_object('message', 'error ' || g, 'stack', 'Error: error ' || g, 'attempt', 3) end,
            case when st = 'failed' then 'failed on attempt 3 of 3: error ' || g end
       from (select g, g % 20 as t,
                    case when g % 1000 = 0 then 'running'
                         when g % 100 < 13 then 'waiting'
                         when g % 100 < 18 then 'failed'
                         when g % 100 < 20 then 'cancelled'
                         else 'complete' end as st,
                    now() - (g::float8 / $1) * interval '30 days' as created,
                    now() - (g::float8 / $1) * interval '30 days' + interval '1 second' as started
               from generate_series(1, $1) g) x`,
    [jobs],
  );
}

/** Five live workers on five nodes, so the running jobs have somewhere to run. */
export async function fillLargeQueueWorkers(pool: pg.Pool, s: string): Promise<void> {
  await pool.query(
    `insert into ${s}.workers (worker_id, node, pid, process_units, concurrency)
     select 'w-' || n, 'node-' || n, 1000 + n, 10000, 200 from generate_series(0, 4) n`,
  );
}
