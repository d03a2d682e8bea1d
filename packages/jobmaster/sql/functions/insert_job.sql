-- The SQL door, as in the original JobMaster:
--   call jobmaster.insert_job('things1', 'foo', 10, '{"file_path": "/tmp/sum.txt", "number": 2}'::json)
-- and with a key:
--   call jobmaster.insert_job('things1', 'foo', 10, '{"number": 2}'::json, job_key => 'nightly', on_conflict => 'replace')
-- Returns the job id (new, or the existing job's as enqueue says) as job_id.
create or replace procedure :schema.insert_job(
  type_key text, task_key text, priority integer, arguments json,
  run_at timestamptz default null, inout job_id bigint default null,
  job_key text default null, on_conflict text default 'raise')
language plpgsql
as $$
begin
  select e.job_id into job_id
    from :schema.enqueue(type_key, task_key, priority, arguments::jsonb, run_at, null, job_key, on_conflict) e;
end;
$$;
