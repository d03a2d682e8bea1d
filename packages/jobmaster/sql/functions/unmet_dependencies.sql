-- Checks a job's dependencies. wait_for is null when every one completed within its window
-- (dependency_completed); otherwise the ids of the dependency jobs to wait for, inserting
-- missing ones at the dependent's priority + 1 (at 2147483647 for a dependent already there:
-- + 1 would overflow) with spawned_by = the dependent; inserted counts those new jobs.
-- A waiting or running twin is searched for among the task's jobs only when the dependency
-- leaves a parameter to its default; otherwise the job it would insert has all its arguments,
-- and enqueue finds an identical one through the identity index.
create or replace function :schema.unmet_dependencies(p_id bigint, p_type_key text, p_task_key text, p_priority integer,
                                                      p_arguments jsonb, out wait_for bigint[], out inserted integer)
language plpgsql volatile
as $$
declare
  v_dep    record;
  v_args   jsonb;
  v_full   jsonb;
  v_id     bigint;
  v_new    boolean;
  v_wait   bigint[] := '{}';
begin
  inserted := 0;
  for v_dep in
    select * from :schema.task_dependencies d
     where d.type_key = p_type_key and d.task_key = p_task_key order by d.position
  loop
    v_args := :schema.dependency_arguments(v_dep.arguments, p_arguments);
    continue when :schema.dependency_completed(v_dep.depends_on_type_key, v_dep.depends_on_task_key, v_args, v_dep.freshness);
    select coalesce(jsonb_object_agg(p.name, coalesce(p.default_value, 'null')) filter (where not p.required), '{}') || v_args
      into v_full
      from :schema.task_parameters p
     where p.type_key = v_dep.depends_on_type_key and p.task_key = v_dep.depends_on_task_key;
    v_id := null;
    if v_full <> v_args then
      select min(l.id) into v_id from (
        select c.id from :schema.jobs c
         where c.type_key = v_dep.depends_on_type_key and c.task_key = v_dep.depends_on_task_key
           and c.status = 'waiting' and c.arguments @> v_args
        union all
        select c.id from :schema.jobs c
         where c.type_key = v_dep.depends_on_type_key and c.task_key = v_dep.depends_on_task_key
           and c.status = 'running' and c.arguments @> v_args) l;
    end if;
    if v_id is null then
      select e.job_id, e.inserted into v_id, v_new
        from :schema.enqueue(v_dep.depends_on_type_key, v_dep.depends_on_task_key, least(p_priority, 2147483646) + 1, v_args, null, p_id) e;
      inserted := inserted + v_new::integer;
    end if;
    v_wait := v_wait || v_id;
  end loop;
  wait_for := case when cardinality(v_wait) = 0 then null else v_wait end;
end;
$$;
