-- JobMaster schema, version 5: batch enqueue in one set-based statement.
-- Placeholders as in 0001.

-- Puts many jobs on the queue in one call, in order, all or none; same rules, results and
-- messages as calling enqueue (0004) for each job in turn.
-- Param: a JSON array of {"type_key", "task_key", "priority", "arguments", "run_at",
-- "job_key", "on_conflict"} (all but the keys optional).
-- Returns one row per job, in order: job_id, inserted, outcome (as enqueue).
--
-- Fast path: when no job has a job key and every job is valid by the rules of
-- prepare_arguments (checked here set-based, conservatively), the batch is validated,
-- defaulted and inserted by one INSERT ... SELECT ... ON CONFLICT DO NOTHING, ids assigned in
-- array order, rows inserted in a fixed order (so concurrent batches cannot deadlock). An
-- identical job earlier in the batch, or already waiting or running, gives
-- its id ('identical'). Anything else (a key, an invalid job, a priority or run_at that is
-- not plainly an integer or a timestamp string) takes the slow path: enqueue per job, which
-- raises exactly the message a single enqueue would, naming the first bad job. A job whose
-- identical twin finished between the insert and the lookup is enqueued alone.
create or replace function :schema.enqueue_many(p_jobs jsonb)
returns table (job_id bigint, inserted boolean, outcome text)
language plpgsql volatile
as $$
declare
  v_job      jsonb;
  v_ok       boolean;
  v_ids      bigint[];
  v_inserted boolean[];
  v_jobs     jsonb[];
  v_any      boolean;
  i          integer;
begin
  if jsonb_typeof(p_jobs) is distinct from 'array' then
    raise exception using errcode = 'JM002', message = 'enqueue_many expects a JSON array of jobs';
  end if;

  with src as (
    select e.ord, e.value as job from jsonb_array_elements(p_jobs) with ordinality e(value, ord)
  ), prepared as (
    select s.ord, s.job, t.type_key, t.task_key, t.process_units, t.max_attempts,
           coalesce(s.job -> 'arguments', '{}') as given,
           -- Integers only, as text: the slow path casts (->> 'priority')::integer.
           case when s.job -> 'priority' is null or s.job -> 'priority' = 'null' then 0
                when jsonb_typeof(s.job -> 'priority') <> 'number' then null
                when (s.job ->> 'priority') !~ '^-?[0-9]{1,10}$' then null
                when (s.job ->> 'priority')::bigint between -2147483648 and 2147483647 then (s.job ->> 'priority')::integer
           end as priority,
           t.write_all
      from src s
      left join :schema.tasks t
        on jsonb_typeof(s.job) = 'object'
       and jsonb_typeof(s.job -> 'type_key') = 'string' and jsonb_typeof(s.job -> 'task_key') = 'string'
       and t.type_key = s.job ->> 'type_key' and t.task_key = s.job ->> 'task_key'
  ), params as (
    -- The parameters of the batch's tasks, read once and joined by hash rather than probed per job.
    select tp.*, p.write_all
      from (select distinct type_key, task_key, write_all from prepared where type_key is not null) p
      join :schema.task_parameters tp on tp.type_key = p.type_key and tp.task_key = p.task_key
  ), given_values as (
    -- One row per job and parameter: the value given (null when absent) and whether it passes.
    select p.ord, tp.name,
           coalesce(p.given -> tp.name, tp.default_value) as value,
           case
             when p.given -> tp.name is null then not tp.required
             when p.given -> tp.name = '"ALL"' and tp.name = any (tp.write_all) then true
             when p.given -> tp.name = '"ALL"' and (tp.json_type <> 'string' or tp.select_from is not null)
                  and not coalesce(tp.select_from @> '["ALL"]', false) then false
             when p.given -> tp.name = 'null' and not tp.required and tp.default_value = 'null' then true
             when not (case tp.json_type
                         when 'integer' then case when jsonb_typeof(p.given -> tp.name) = 'number'
                                                  then (p.given -> tp.name)::text::numeric = trunc((p.given -> tp.name)::text::numeric)
                                                  else false end
                         else jsonb_typeof(p.given -> tp.name) = tp.json_type end) then false
             when tp.select_from is not null
                  and not exists (select 1 from jsonb_array_elements(tp.select_from) e where e = p.given -> tp.name) then false
             else true
           end as ok
      from prepared p
      join params tp on tp.type_key = p.type_key and tp.task_key = p.task_key
     where jsonb_typeof(p.given) = 'object'
  ), unknown_keys as (
    select distinct p.ord
      from prepared p
     cross join lateral jsonb_object_keys(case when jsonb_typeof(p.given) = 'object' then p.given else '{}' end) k
      left join params tp on tp.type_key = p.type_key and tp.task_key = p.task_key and tp.name = k
     where tp.name is null
  ), verdict as (
    select coalesce(bool_and(
             p.type_key is not null
             and p.priority is not null
             and (p.job -> 'job_key' is null or p.job -> 'job_key' = 'null')
             and coalesce(p.job ->> 'on_conflict', 'raise') in ('raise', 'ignore', 'replace')
             and (p.job -> 'run_at' is null or jsonb_typeof(p.job -> 'run_at') in ('string', 'null'))
             and jsonb_typeof(p.given) = 'object'), true)
           and not exists (select 1 from unknown_keys)
           and not exists (select 1 from given_values where not ok) as ok
      from prepared p
  ), filled as (
    -- Defaults filled in; only for a valid batch.
    select p.ord, p.job, p.type_key, p.task_key, p.priority, p.process_units, p.max_attempts,
           coalesce(a.arguments, '{}') as arguments
      from prepared p
      left join (select g.ord, jsonb_object_agg(g.name, g.value) as arguments from given_values g group by g.ord) a on a.ord = p.ord
     where (select ok from verdict)
  ), new_ids as (
    -- Ids follow the array's order, but rows go in sorted by identity: two batches holding
    -- the same jobs in different orders then lock them in the same order and cannot deadlock.
    select row_number() over (order by v.id) as nth, v.id
      from (select nextval(pg_get_serial_sequence(':schema.jobs', 'id')) as id from filled) v
  ), ins as (
    insert into :schema.jobs (id, type_key, task_key, priority, arguments, process_units, max_attempts, run_at)
    overriding system value
    select i.id, f.type_key, f.task_key, f.priority, f.arguments, f.process_units, f.max_attempts,
           coalesce((f.job ->> 'run_at')::timestamptz, now())
      from (select f.*, row_number() over (order by f.ord) as nth from filled f) f
      join new_ids i on i.nth = f.nth
     order by f.type_key, f.task_key, md5(f.arguments::text), f.ord
    on conflict (type_key, task_key, md5(arguments::text))
      where status in ('waiting', 'running') and job_key is null and schedule_name is null
      do nothing
    returning id, type_key as t_type, task_key as t_task, md5(arguments::text) as t_hash
  ), idents as (
    select f.ord, f.job, f.type_key, f.task_key, md5(f.arguments::text) as hash,
           row_number() over (partition by f.type_key, f.task_key, md5(f.arguments::text) order by f.ord) as nth
      from filled f
  )
  select (select ok from verdict),
         array_agg(coalesce(n.id, x.id) order by d.ord),
         array_agg(n.id is not null and d.nth = 1 order by d.ord),
         array_agg(d.job order by d.ord)
    into v_ok, v_ids, v_inserted, v_jobs
    from idents d
    left join ins n on n.t_type = d.type_key and n.t_task = d.task_key and n.t_hash = d.hash
    left join lateral (
      select j.id from :schema.jobs j
       where n.id is null and j.type_key = d.type_key and j.task_key = d.task_key
         and md5(j.arguments::text) = d.hash and j.status in ('waiting', 'running')
         and j.job_key is null and j.schedule_name is null
       limit 1) x on true;

  if v_ok then
    v_any := false;
    for i in 1 .. coalesce(cardinality(v_ids), 0) loop
      if v_ids[i] is null then
        -- The identical job finished meanwhile: enqueue this one alone (it retries the insert).
        select e.job_id, e.inserted, e.outcome into job_id, inserted, outcome
          from :schema.enqueue(v_jobs[i] ->> 'type_key', v_jobs[i] ->> 'task_key',
                               coalesce((v_jobs[i] ->> 'priority')::integer, 0), v_jobs[i] -> 'arguments',
                               (v_jobs[i] ->> 'run_at')::timestamptz, null, null, coalesce(v_jobs[i] ->> 'on_conflict', 'raise')) e;
      else
        job_id := v_ids[i];
        inserted := v_inserted[i];
        outcome := case when v_inserted[i] then 'inserted' else 'identical' end;
        v_any := v_any or v_inserted[i];
      end if;
      return next;
    end loop;
    if v_any then
      perform pg_notify(:channel_literal, '');
    end if;
    return;
  end if;

  for v_job in select value from jsonb_array_elements(p_jobs) with ordinality order by ordinality loop
    select e.job_id, e.inserted, e.outcome into job_id, inserted, outcome
      from :schema.enqueue(v_job ->> 'type_key', v_job ->> 'task_key',
                           coalesce((v_job ->> 'priority')::integer, 0), v_job -> 'arguments',
                           (v_job ->> 'run_at')::timestamptz, null,
                           v_job ->> 'job_key', coalesce(v_job ->> 'on_conflict', 'raise')) e;
    return next;
  end loop;
end;
$$;
