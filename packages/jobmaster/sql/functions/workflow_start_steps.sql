-- Starts many steps at once (the steps a batch of completions made ready, across runs): the
-- set-based form of workflow_start_step for the usual case, where every step's arguments
-- resolve and fit its task. Each step's arguments are resolved (the common shapes, values that
-- are exactly one reference, by joins in the statement itself; the rest by workflow_resolve)
-- and checked by fitting_arguments, the set-based and conservative form of prepare_arguments
-- (a step cannot fan out: it refuses "ALL"). Each job
-- is inserted with the key "workflow:<run>:<step>", the run's id and its trace context, as enqueue inserts a
-- keyed job, and the step is marked started. If any step cannot start this way (a reference to
-- nothing, arguments the check doubts, "ALL", a key already held), nothing of the set is kept
-- and each step is started by workflow_start_step, which fails that step and its run with a
-- message naming them.
-- One statement for the set, no statement per step: with eight statements per step, then
-- with workflow_resolve and prepare_arguments called per step (about 0.15 ms a step), the
-- start was most of a chain step's cost (bench/scripts/step-advance.ts measures it).
-- Params: run ids and step ids, pairwise. Returns the run ids whose step failed to start
-- (so the caller knows those runs failed), or null.
create or replace function :schema.workflow_start_steps(p_run_ids bigint[], p_step_ids text[])
returns bigint[]
language plpgsql volatile
as $$
declare
  v_count  integer;
  v_failed bigint[];
  v_step   record;
begin
  begin
    -- Set-based throughout: joins and one aggregate per stage, no statement per step.
    -- Materialized: inlined, the planner evaluated the resolution for steps outside the set.
    with wanted as materialized (
      select u.ord, s.run_id, s.step_id, s.type_key, s.task_key, s.priority, s.args, r.params, r.trace_context,
             position('${{' in s.args::text) > 0 as has_refs
        from unnest(p_run_ids, p_step_ids) with ordinality u(run_id, step_id, ord)
        -- Each by primary key (offset 0 keeps the planner from hashing the whole table,
        -- which it did from statistics that did not yet count the runs of the last minutes).
        cross join lateral (select s.* from :schema.workflow_run_steps s
                             where s.run_id = u.run_id and s.step_id = u.step_id offset 0) s
        cross join lateral (select r.params, r.trace_context from :schema.workflow_runs r where r.id = s.run_id offset 0) r
    ), entries as materialized (
      -- The entries of arguments that hold references; ref: the reference an entry is exactly
      -- (`${{ steps.a.result.n }}` -> {steps,a,result,n}), null for any other entry.
      select w.ord, w.run_id, w.params, e.key, e.value,
             string_to_array(substring(e.value #>> '{}' from '^\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}$'), '.') as ref
        from wanted w
        cross join lateral jsonb_each(w.args) e
       where w.has_refs and jsonb_typeof(w.args) = 'object'
    ), looked_up as (
      -- simple: the entry holds no reference or is exactly one. v: its value, null when the
      -- reference points at nothing (workflow_start_step then names it).
      select en.ord, en.key, en.ref is not null or position('${{' in en.value::text) = 0 as simple,
             case when en.ref is null then en.value
                  when en.ref[1] = 'params' and cardinality(en.ref) >= 2 then en.params #> en.ref[2:]
                  when en.ref[1] = 'steps' and cardinality(en.ref) >= 3 and en.ref[3] = 'result' and c.status = 'complete'
                    then coalesce(c.result, 'null'::jsonb) #> coalesce(en.ref[4:], '{}')
             end as v
        from entries en
        -- The referenced step, by primary key (as above; its status is tested in the case).
        left join lateral (select c.status, c.result from :schema.workflow_run_steps c
                            where c.run_id = en.run_id and c.step_id = en.ref[2] offset 0) c on true
    ), simple as (
      select l.ord, bool_and(l.simple) as simple,
             case when bool_and(l.v is not null) then jsonb_object_agg(l.key, l.v) end as a
        from looked_up l group by l.ord
    ), resolved as materialized (
      -- Any other shape (a reference inside longer text, nested arguments) by workflow_resolve.
      select w.ord, w.run_id, w.step_id, w.type_key, w.task_key, w.priority, w.trace_context,
             case when not w.has_refs then w.args
                  when x.simple then x.a
                  else :schema.workflow_resolve(w.args, w.params,
                         (select coalesce(jsonb_object_agg(c.step_id, coalesce(c.result, 'null'::jsonb)), '{}')
                            from :schema.workflow_run_steps c where c.run_id = w.run_id and c.status = 'complete'))
             end as a
        from wanted w
        left join simple x on x.ord = w.ord
    ), batch as (
      select array_agg(r.ord order by r.ord) as ords, array_agg(r.type_key order by r.ord) as type_keys,
             array_agg(r.task_key order by r.ord) as task_keys, array_agg(r.a order by r.ord) as args
        from resolved r
    ), prepared as materialized (
      select r.run_id, r.step_id, r.type_key, r.task_key, r.priority, r.trace_context, f.arguments as args
        from batch b
        cross join lateral :schema.fitting_arguments(b.type_keys, b.task_keys, b.args) f
        join resolved r on r.ord = b.ords[f.ord]
    ), inserted as (
      insert into :schema.jobs (type_key, task_key, priority, arguments, process_units, max_attempts, run_at, job_key, workflow_run_id,
                                trace_context)
      select p.type_key, p.task_key, p.priority, p.args, t.process_units, t.max_attempts, now(),
             format('workflow:%s:%s', p.run_id, p.step_id), p.run_id, p.trace_context
        from prepared p
        join :schema.tasks t on t.type_key = p.type_key and t.task_key = p.task_key
       where p.args is not null
      -- No ON CONFLICT (its speculative insertion costs a fifth of the insert): a step's key
      -- is held only if the step already has a job, and then the unique violation sends the
      -- set to the per-step path, which says so.
      returning id, workflow_run_id, job_key
    ), started as (
      update :schema.workflow_run_steps s set status = 'started', job_id = i.id, pending = 0, message = null
        from inserted i
       -- The step id from the key, so each step is found by primary key (matching the key
       -- against every step of the run was quadratic: a 1,000-wide fan-out took 0.55 s).
       where s.run_id = i.workflow_run_id and s.step_id = substr(i.job_key, length(format('workflow:%s:', i.workflow_run_id)) + 1)
      returning 1
    )
    select count(*) into v_count from started;
    if v_count < cardinality(p_step_ids) then
      raise exception using errcode = 'JM002', message = 'a step could not start in the set';
    end if;
    perform pg_notify(:channel_literal, '');
    return null;
  exception when others then
    -- Undone: start each step alone, so each failure is named.
    null;
  end;
  for v_step in select u.run_id, u.step_id from unnest(p_run_ids, p_step_ids) with ordinality u(run_id, step_id, ord) order by u.ord loop
    -- A run that failed on an earlier step has skipped the rest.
    continue when v_step.run_id = any (coalesce(v_failed, '{}'));
    if :schema.workflow_start_step(v_step.run_id, v_step.step_id) is null then
      v_failed := v_failed || v_step.run_id;
    end if;
  end loop;
  return v_failed;
end;
$$;
