-- The SQL door to workflows, as insert_job is to jobs:
--   call jobmaster.start_workflow('etl', '{"day": "2026-12-03"}'::json)
-- and with a run key:
--   call jobmaster.start_workflow('etl', '{"day": "2026-12-03"}'::json, run_key => 'nightly', on_conflict => 'ignore')
-- and with the caller's trace context (an OpenTelemetry carrier, as insert_job takes), which
-- every step's job keeps:
--   call jobmaster.start_workflow('etl', '{"day": "2026-12-03"}'::json, trace_context => '{"traceparent": "00-..."}')
-- Returns the run id (new, or the existing run's as start_workflow_run says) as run_id.
create or replace procedure :schema.start_workflow(
  name text, params json default '{}', inout run_id bigint default null,
  run_key text default null, on_conflict text default 'raise', trace_context jsonb default null)
language plpgsql
as $$
begin
  select s.run_id into run_id
    from :schema.start_workflow_run(name, params::jsonb, run_key, on_conflict, null, trace_context) s;
end;
$$;
