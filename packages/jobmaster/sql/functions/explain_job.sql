-- Says why a job is not running now, or what happened to it, in the claim's terms:
--   select * from jobmaster.explain_job(42);
-- A waiting job is judged by the rules claim_jobs applies to its candidates: run_at has come,
-- every job in waiting_for has finished, its units fit some live worker's budget minus the
-- units running on that worker's node, and that worker runs the task (workers.tasks, as it
-- passes them to claim_jobs). Its dependencies and fan-out are found by running the claim's
-- own unmet_dependencies and fan_out inside a subtransaction that is rolled back, so nothing
-- is written. test/explain/claim-agreement.test.ts holds explain and claim_jobs to the same
-- verdict in every situation, so the two cannot drift apart.
-- Param: the job's id. Raises JM003 when there is no such job.
-- Returns one row per reason, the deciding one first: code (stable; README lists them),
-- message (plain words), facts (the figures behind the message, as JSON).
create or replace function :schema.explain_job(p_id bigint)
returns table (code text, message text, facts jsonb)
language plpgsql volatile
set jit = off
as $$
declare
  v_job      :schema.jobs;
  v_name     text;
  v_t        text;
  v_known    boolean;
  v_blocked  boolean := false;
  v_row      record;
  v_live     integer;
  v_loading  integer;
  v_large    jsonb;
  v_full     jsonb;
  v_fit      jsonb;
  v_ahead    integer;
  v_write    text[];
  v_fan      jsonb;
  v_deps     jsonb;
  v_worker   :schema.workers;
  v_twin     bigint;
  v_twin_status text;
begin
  perform :schema.require_jobs(array[p_id]);
  select * into v_job from :schema.jobs j where j.id = p_id;
  v_name := v_job.type_key || '.' || v_job.task_key;
  select true, t.write_all into v_known, v_write from :schema.tasks t
   where t.type_key = v_job.type_key and t.task_key = v_job.task_key;

  if v_job.status in ('complete', 'failed', 'cancelled') then
    code := case v_job.status when 'complete' then 'completed' else v_job.status end;
    v_t := :schema.shown_time(v_job.finished_at);
    message := case v_job.status
      when 'complete' then format('completed at %s after %s attempt%s%s%s', v_t, v_job.attempts,
                                  case when v_job.attempts = 1 then '' else 's' end,
                                  coalesce(' on node ' || v_job.node, ''), coalesce(': ' || v_job.message, ''))
      when 'failed' then format('failed for good at %s after %s of %s attempts: %s', v_t, v_job.attempts, v_job.max_attempts,
                                coalesce(v_job.message, v_job.error ->> 'message', 'no message'))
      else format('cancelled at %s%s', v_t, coalesce(': ' || v_job.message, '')) end;
    facts := jsonb_build_object('finished_at', v_job.finished_at, 'attempts', v_job.attempts, 'max_attempts', v_job.max_attempts,
                                'node', v_job.node, 'message', v_job.message, 'error', v_job.error -> 'message');
    return next;
    -- Only one job of a task and arguments (or key) may wait or run: a retry of this one meets it.
    if v_job.job_key is not null then
      select t.id, t.status into v_twin, v_twin_status from :schema.jobs t
       where t.type_key = v_job.type_key and t.task_key = v_job.task_key and t.job_key = v_job.job_key
         and t.status in ('waiting', 'running');
    elsif v_job.schedule_name is null then
      select t.id, t.status into v_twin, v_twin_status from :schema.jobs t
       where t.identity_hash = v_job.identity_hash and t.job_key is null and t.schedule_name is null
         and t.status in ('waiting', 'running');
    end if;
    if v_twin is not null then
      code := case when v_job.job_key is null then 'identical_twin' else 'keyed_twin' end;
      message := format('%s job %s is %s: a retry of this job is refused while it waits or runs, and an enqueue returns it',
                        case when v_job.job_key is null then 'an identical' else format('job key %s is held: its', to_jsonb(v_job.job_key)) end,
                        v_twin, v_twin_status);
      facts := jsonb_build_object('job_id', v_twin::text, 'status', v_twin_status, 'job_key', v_job.job_key);
      return next;
    end if;
  elsif v_job.status = 'running' then
    select * into v_worker from :schema.workers w where w.worker_id = v_job.worker_id;
    v_t := coalesce(:schema.shown_time(v_worker.last_seen_at), 'never (its worker is gone)');
    facts := jsonb_build_object('worker_id', v_job.worker_id, 'node', v_job.node, 'pid', v_job.pid,
                                'lease_expires_at', v_job.lease_expires_at, 'last_heartbeat_at', v_worker.last_seen_at,
                                'started_at', v_job.started_at, 'attempt', v_job.attempts + (v_job.started_at is null)::integer,
                                'max_attempts', v_job.max_attempts, 'held_ahead', v_job.started_at is null,
                                'cancel_requested', v_job.cancel_requested);
    if v_job.lease_expires_at < now() then
      code := 'lease_expired';
      message := format('its lease, held by worker %s on node %s, expired at %s (last heartbeat %s): the next claim puts it back to waiting',
                        v_job.worker_id, v_job.node, :schema.shown_time(v_job.lease_expires_at), v_t);
    else
      code := 'leased';
      message := format('%s by worker %s on node %s (pid %s)%s; leased until %s, last heartbeat %s%s',
                        case when v_job.started_at is null then 'claimed ahead, not started yet,'
                             else format('running attempt %s of %s since %s', v_job.attempts, v_job.max_attempts,
                                         :schema.shown_time(v_job.started_at)) end,
                        v_job.worker_id, v_job.node, v_job.pid, '', :schema.shown_time(v_job.lease_expires_at), v_t,
                        case when v_job.cancel_requested then '; cancellation requested' else '' end);
    end if;
    return next;
  else
    -- Waiting: each rule of claim_jobs' candidate statement that holds it back.
    if v_known is null then
      v_blocked := true;
      return query select 'task_not_deployed', format('task %s is not deployed: no worker claims its jobs ("jm deploy" syncs the tasks in code)', v_name),
                          jsonb_build_object('task', v_name);
    end if;
    if v_job.run_at > now() then
      v_blocked := true;
      if v_job.attempts > 0 and v_job.error is not null then
        return query select 'retry_backoff',
          format('attempt %s of %s failed (%s); it retries at %s (in %s)', v_job.attempts, v_job.max_attempts,
                 coalesce(v_job.error ->> 'message', 'no message'), :schema.shown_time(v_job.run_at), date_trunc('second', v_job.run_at - now())),
          jsonb_build_object('run_at', v_job.run_at, 'attempts', v_job.attempts, 'max_attempts', v_job.max_attempts,
                             'error', v_job.error -> 'message');
      else
        return query select 'run_at_future',
          format('it is not to run before %s (in %s)', :schema.shown_time(v_job.run_at), date_trunc('second', v_job.run_at - now())),
          jsonb_build_object('run_at', v_job.run_at);
      end if;
    end if;
    if v_job.waiting_for is not null then
      for v_row in
        select w.id, w.type_key || '.' || w.task_key as task, w.status,
               case when w.status = 'running' then coalesce(w.started_at, w.created_at) else w.created_at end as since
          from :schema.jobs w where w.id = any (v_job.waiting_for) and w.status in ('waiting', 'running') order by w.id
      loop
        v_blocked := true;
        return query select 'waiting_for_dependency',
          format('waiting for dependency job %s (%s, %s since %s)', v_row.id, v_row.task, v_row.status, :schema.shown_time(v_row.since)),
          jsonb_build_object('job_id', v_row.id::text, 'task', v_row.task, 'status', v_row.status, 'since', v_row.since);
      end loop;
    end if;

    -- The live workers (seen within a minute, as jm status counts them), and for each that
    -- runs the task what its claim would find free: its budget minus its node's running units.
    -- (A worker killed less than a minute ago still counts: its heartbeat is that recent.)
    with live as (
      select w.worker_id, w.node, w.process_units as budget, w.concurrency, w.tasks is null or v_name = any (w.tasks) as loads
        from :schema.workers w where w.last_seen_at > now() - interval '60 seconds'
    ), used as (
      select j.node, sum(j.process_units)::integer as in_use,
             jsonb_agg(jsonb_build_object('job_id', j.id::text, 'task', j.type_key || '.' || j.task_key,
                                          'process_units', j.process_units) order by j.id) as jobs
        from :schema.jobs j
       where j.status = 'running' and j.node in (select l.node from live l where l.loads)
         -- A claim first returns jobs whose lease lapsed (recover_expired_leases): not in use.
         and not coalesce(j.lease_expires_at < now(), false)
       group by j.node
    ), judged as (
      select l.*, coalesce(u.in_use, 0) as in_use, coalesce(u.jobs, '[]') as jobs,
             l.budget - coalesce(u.in_use, 0) as available
        from live l left join used u on u.node = l.node where l.loads
    )
    select (select count(*) from live),
           (select count(*) from judged),
           (select jsonb_agg(distinct jsonb_build_object('node', j.node, 'budget', j.budget)) from judged j),
           (select jsonb_agg(distinct jsonb_build_object('node', j.node, 'budget', j.budget, 'in_use', j.in_use,
                                                         'jobs', jsonb_path_query_array(j.jobs, '$[0 to 9]')))
              from judged j where j.budget >= v_job.process_units),
           -- Not a claim rule, but why a claimable job can still wait: a worker claims only for free slots.
           (select jsonb_agg(jsonb_build_object('worker_id', j.worker_id, 'node', j.node, 'available', j.available,
                                                'free_slots', greatest(j.concurrency - (select count(*) from :schema.jobs r
                                                                                        where r.status = 'running' and r.worker_id = j.worker_id), 0))
                             order by j.available desc)
              from judged j where v_job.process_units <= j.available)
      into v_live, v_loading, v_large, v_full, v_fit;
    if v_live = 0 then
      v_blocked := true;
      return query select 'no_live_worker', 'no worker is running (none has been seen in the last minute)', '{}'::jsonb;
    elsif v_loading = 0 then
      v_blocked := true;
      return query select 'task_not_loaded',
        format('none of the %s live worker%s has loaded task %s (start one whose --tasks include it)', v_live,
               case when v_live = 1 then '' else 's' end, v_name),
        jsonb_build_object('task', v_name, 'live_workers', v_live);
    elsif v_full is null then
      v_blocked := true;
      return query select 'too_large',
        format('it needs %s process unit%s, more than the budget of every live node that runs %s (%s)', v_job.process_units,
               case when v_job.process_units = 1 then '' else 's' end, v_name,
               (select string_agg(format('%s: %s', e ->> 'node', e ->> 'budget'), ', ' order by e ->> 'node') from jsonb_array_elements(v_large) e)),
        jsonb_build_object('process_units', v_job.process_units, 'nodes', v_large);
    elsif v_fit is null then
      v_blocked := true;
      return query select 'budget_full',
        format('it needs %s process unit%s and no node has %s free: %s', v_job.process_units,
               case when v_job.process_units = 1 then '' else 's' end, case when v_job.process_units = 1 then 'it' else 'them' end,
               (select string_agg(format('%s has %s of %s in use (jobs %s)', e ->> 'node', e ->> 'in_use', e ->> 'budget',
                                         (select string_agg(format('%s %s', x ->> 'job_id', x ->> 'task'), ', ')
                                            from jsonb_array_elements(e -> 'jobs') x)), '; ' order by e ->> 'node')
                  from jsonb_array_elements(v_full) e)),
        jsonb_build_object('process_units', v_job.process_units, 'nodes', v_full);
    end if;

    if not v_blocked then
      select count(*) into v_ahead from (
        select 1 from :schema.jobs a
         where a.status = 'waiting' and a.run_at <= now()
           and (a.priority > v_job.priority or (a.priority = v_job.priority and a.id < v_job.id))
         limit 1000) a;
      return query select 'claimable',
        format('a worker on node %s (%s unit%s free) can claim it now%s', v_fit -> 0 ->> 'node', v_fit -> 0 ->> 'available',
               case when v_fit -> 0 ->> 'available' = '1' then '' else 's' end,
               case when v_ahead = 0 then '; it is first in claim order'
                    else format('; %s%s waiting job%s ahead of it in claim order', v_ahead, case when v_ahead = 1000 then ' or more' else '' end,
                                case when v_ahead = 1 then ' is' else 's are' end) end)
          || case when exists (select 1 from jsonb_array_elements(v_fit) f where (f ->> 'free_slots')::integer > 0) then ''
                  else format('; %s running as many jobs as %s --concurrency allows, and claims when one ends',
                              case when jsonb_array_length(v_fit) = 1 then 'that worker is' else 'each such worker is' end,
                              case when jsonb_array_length(v_fit) = 1 then 'its' else 'their' end) end,
        jsonb_build_object('workers', v_fit, 'ahead', v_ahead);
    end if;

    -- What the claim will do with it instead of running it, found by running that code and
    -- rolling it back.
    if v_known and (v_job.waiting_for is null
                    or not exists (select 1 from :schema.jobs w where w.id = any (v_job.waiting_for) and w.status in ('waiting', 'running'))) then
      begin
        if cardinality(v_write) > 0 and exists (select 1 from unnest(v_write) w where v_job.arguments -> w = '"ALL"'::jsonb) then
          v_fan := :schema.fan_out(v_job.id, v_job.type_key, v_job.task_key, v_job.priority, v_job.arguments, v_write);
        else
          v_deps := :schema.plan_dependencies(array[v_job.id], array['job']);
        end if;
        raise exception using errcode = 'JMRBK';
      exception
        when sqlstate 'JMRBK' then null;
        when read_only_sql_transaction then
          return query select 'not_checked', 'dependencies and fan-out were not checked: the transaction is read-only', '{}'::jsonb;
        when others then
          -- The claim runs the same code in a subtransaction and fails the job alone.
          return query select 'prepare_fails', format('the claim will fail it: could not prepare job: %s', sqlerrm),
                              jsonb_build_object('error', sqlerrm);
      end;
      if v_fan is not null then
        return query select 'fans_out',
          format('when claimed it fans out into %s jobs of %s (%s of them new; the others are waiting or running already) and completes',
                 v_fan ->> 'total', v_name, v_fan ->> 'inserted'),
          jsonb_build_object('total', (v_fan ->> 'total')::integer, 'new', (v_fan ->> 'inserted')::integer);
      end if;
      for v_row in select e from jsonb_array_elements(:schema.settle_plan(v_deps)) e loop
        return query select 'dependency_unmet',
          format('%s %s %s, not completed within its window: the claim %s',
                 case when v_row.e ->> 'needed_by' = 'job' then 'it needs' else (v_row.e ->> 'needed_by') || ' needs' end,
                 v_row.e ->> 'task', v_row.e -> 'arguments',
                 case when (v_row.e ->> 'new')::boolean
                      then format('inserts it (%s: priority %s, %s unit%s) and waits for it', v_row.e ->> 'ref', v_row.e ->> 'priority',
                                  v_row.e ->> 'process_units', case when v_row.e ->> 'process_units' = '1' then '' else 's' end)
                      when v_row.e ->> 'job_id' is null then format('waits for %s, inserted above', v_row.e ->> 'ref')
                      else format('waits for %s (%s)', v_row.e ->> 'ref', v_row.e ->> 'status') end),
          v_row.e;
      end loop;
    end if;
  end if;

  if v_job.workflow_run_id is not null then
    select r.id, r.workflow_name, r.status, s.step_id,
           (select array_agg(p.step_id order by p.position) from :schema.workflow_run_steps p
             where p.run_id = r.id and p.status = 'pending' and s.step_id = any (p.requires)) as dependents,
           (select count(*) from :schema.workflow_run_steps p where p.run_id = r.id and p.status in ('pending', 'started')) as open_steps
      into v_row
      from :schema.workflow_runs r
      left join :schema.workflow_run_steps s on s.run_id = r.id and s.job_id = p_id
     where r.id = v_job.workflow_run_id;
    if v_row.id is not null then
      return query select 'workflow_step',
        format('step %s of workflow %s, run %s (%s, %s step%s open)%s', coalesce(to_jsonb(v_row.step_id)::text, '?'),
               to_jsonb(v_row.workflow_name), v_row.id, v_row.status, v_row.open_steps, case when v_row.open_steps = 1 then '' else 's' end,
               case when v_row.dependents is null then ''
                    else format('; step%s %s wait%s for it', case when cardinality(v_row.dependents) = 1 then '' else 's' end,
                                array_to_string(v_row.dependents, ', '), case when cardinality(v_row.dependents) = 1 then 's' else '' end) end),
        jsonb_build_object('run_id', v_row.id::text, 'workflow', v_row.workflow_name, 'run_status', v_row.status,
                           'step', v_row.step_id, 'waiting_steps', to_jsonb(coalesce(v_row.dependents, '{}')),
                           'open_steps', v_row.open_steps);
    end if;
  end if;
end;
$$;
