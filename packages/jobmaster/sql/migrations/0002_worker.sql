-- JobMaster schema, version 2: what workers need to claim, run and finish jobs safely.
-- Placeholders as in 0001.
--
-- The functions a worker calls in its hot path are declared `set jit = off`: their
-- queries touch a handful of rows, but a large queue can make the planner's cost estimate
-- cross jit_above_cost, and compiling would then cost more than the query itself.
-- claim_jobs also sets enable_sort = off: with stale statistics (right after a bulk
-- enqueue) the planner may otherwise sort every waiting job instead of walking the
-- jobs_claim_order index and stopping after p_limit rows.
-- complete_jobs and heartbeat take their job ids as one array and set plan_cache_mode =
-- force_custom_plan, so the planner sees how many ids there are: with statistics taken when
-- no job was running it would otherwise walk every running job and compare each with the
-- whole input (seconds per batch at a thousand jobs).

-- Workers announce themselves so `jm status` can show nodes, budgets and liveness.
create table :schema.workers (
  worker_id     text primary key,
  node          text not null,
  pid           integer not null,
  process_units integer not null,
  concurrency   integer not null,
  started_at    timestamptz not null default now(),
  last_seen_at  timestamptz not null default now()
);

-- Jobs waiting on dependencies, found when a dependency finishes.
create index jobs_waiting_for on :schema.jobs using gin (waiting_for) where waiting_for is not null;













