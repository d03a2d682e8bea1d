-- The SQL door, as in the original JobMaster:
--   call jobmaster.insert_job('things1', 'foo', 10, '{"file_path": "/tmp/sum.txt", "number": 2}'::json)
-- and with a key:
--   call jobmaster.insert_job('things1', 'foo', 10, '{"number": 2}'::json, job_key => 'nightly', on_conflict => 'replace')
-- and with the caller's trace context (W3C traceparent), for the run's span to link to:
--   call jobmaster.insert_job('things1', 'foo', 10, '{"number": 2}'::json,
--                             trace_context => '{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}')
-- Returns the job id (new, or the existing job's as enqueue says) as job_id.
create or replace procedure :schema.insert_job(
  type_key text, task_key text, priority integer, arguments json,
  run_at timestamptz default null, inout job_id bigint default null,
  job_key text default null, on_conflict text default 'raise', trace_context jsonb default null)
language plpgsql
as $$
begin
  select e.job_id into job_id
    from :schema.enqueue(type_key, task_key, priority, arguments::jsonb, run_at, null, job_key, on_conflict,
                           insert_job.trace_context) e;
end;
$$;
