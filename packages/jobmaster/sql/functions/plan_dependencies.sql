-- What the claim's dependency check (unmet_dependencies) does for the given jobs, and for each
-- dependency job it inserts, recursively: the same function runs, so it WRITES. Call it only
-- inside a subtransaction that is then rolled back (plan_enqueue, plan_workflow_run,
-- explain_job); after the rollback a listed job that no longer exists is one the claim would
-- insert.
-- Params: the jobs' ids and the names to give them in the answer ('job', 'step load', ...).
-- Returns a JSON array, one element per dependency a job waits for, in the order found:
-- {"needed_by", "ref", "job_id", "task", "arguments", "priority", "process_units", "status",
--  "depth", "again"}; ref names the dependency job for later elements' needed_by ('job 42' for
-- a job that exists, 'dependency N' for one inserted here); again is true when an earlier
-- element already listed it. At most 1,000 jobs are checked. settle_plan finishes the answer
-- after the rollback.
create or replace function :schema.plan_dependencies(p_ids bigint[], p_refs text[])
returns jsonb
language plpgsql volatile
as $$
declare
  v_queue  bigint[] := p_ids;
  v_refs   text[] := p_refs;
  v_depth  integer[] := array_fill(0, array[cardinality(p_ids)]);
  v_i      integer := 1;
  v_job    :schema.jobs;
  v_dep    :schema.jobs;
  v_wait   bigint[];
  v_id     bigint;
  v_ref    text;
  v_again  boolean;
  v_new    integer := 0;
  v_out    jsonb := '[]';
begin
  while v_i <= cardinality(v_queue) and v_i <= 1000 loop
    select * into v_job from :schema.jobs j where j.id = v_queue[v_i];
    select u.wait_for into v_wait
      from :schema.unmet_dependencies(v_job.id, v_job.type_key, v_job.task_key, v_job.priority, v_job.arguments) u;
    foreach v_id in array coalesce(v_wait, '{}') loop
      select * into v_dep from :schema.jobs j where j.id = v_id;
      v_ref := null;
      v_again := v_id = any (v_queue);
      if v_again then
        v_ref := v_refs[array_position(v_queue, v_id)];
      elsif v_dep.spawned_by = v_job.id and v_dep.created_at = now() then
        -- Inserted just now for this job: plan what its own claim will need too.
        v_new := v_new + 1;
        v_ref := format('dependency %s', v_new);
        v_queue := v_queue || v_id;
        v_refs := v_refs || v_ref;
        v_depth := v_depth || (v_depth[v_i] + 1);
      end if;
      v_out := v_out || jsonb_build_array(jsonb_build_object(
        'needed_by', v_refs[v_i], 'ref', coalesce(v_ref, format('job %s', v_id)), 'job_id', v_id::text,
        'task', v_dep.type_key || '.' || v_dep.task_key, 'arguments', v_dep.arguments,
        'priority', v_dep.priority, 'process_units', v_dep.process_units, 'status', v_dep.status,
        'depth', v_depth[v_i] + 1, 'again', v_again));
    end loop;
    v_i := v_i + 1;
  end loop;
  return v_out;
end;
$$;
