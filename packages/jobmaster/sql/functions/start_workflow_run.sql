-- Starts a run of a deployed workflow: checks the parameters against the workflow's
-- (workflow_params), creates the run with a copy of the definition, and its steps, starting
-- every step that requires none (workflow_begin_runs). start_workflow_runs starts many.
-- Params: workflow name; parameters (a JSON object; null = {}); run key (null = none);
-- conflict mode for a key held by a running run of the workflow: 'raise' (SQLSTATE JM010,
-- detail {"run_id", "run_key", "workflow"}), 'ignore' (return that run), 'replace' (cancel
-- that run and start a new one); schedule tick (null unless a schedule starts it: a tick
-- starts at most one run, later calls for it return no row); the starter's trace context
-- (as enqueue's; each step's job keeps it).
-- Returns run_id and outcome: 'started', 'existing' (ignore), 'replaced'.
-- Raises JM008 for an unknown workflow, JM002 for parameters that break a rule.
create or replace function :schema.start_workflow_run(
  p_name text, p_params jsonb default '{}', p_run_key text default null, p_on_conflict text default 'raise',
  p_schedule_tick timestamptz default null, p_trace_context jsonb default null,
  out run_id bigint, out outcome text)
returns setof record
language plpgsql volatile
as $$
declare
  v_definition jsonb;
  v_params     jsonb := '{}';
  v_existing   bigint;
begin
  if p_on_conflict is null or p_on_conflict not in ('raise', 'ignore', 'replace') then
    raise exception using errcode = 'JM002',
      message = format('workflow %s: on_conflict must be raise, ignore or replace, got %s', to_jsonb(p_name)::text,
                       coalesce(to_jsonb(left(p_on_conflict, 40))::text, 'null'));
  end if;
  if p_run_key is not null and length(p_run_key) not between 1 and 255 then
    raise exception using errcode = 'JM002', message = format('workflow %s: a run key must be 1 to 255 characters long', to_jsonb(p_name)::text);
  end if;
  v_definition := :schema.workflow_definition(p_name);
  v_params := :schema.workflow_params(p_name, v_definition, p_params);
  p_trace_context := :schema.checked_trace_context(format('workflow %s', to_jsonb(left(p_name, 200))), p_trace_context);

  loop
    begin
      insert into :schema.workflow_runs (workflow_name, definition, params, run_key, schedule_tick, trace_context)
      values (p_name, v_definition, v_params, p_run_key, p_schedule_tick, p_trace_context)
      returning id into run_id;
      exit;
    exception when unique_violation then
      if p_schedule_tick is not null then
        return; -- this tick already started its run
      end if;
      select r.id into v_existing from :schema.workflow_runs r
       where r.workflow_name = p_name and r.run_key = p_run_key and r.status = 'running' for update;
      continue when not found; -- it ended meanwhile: the key is free again
      if p_on_conflict = 'ignore' then
        run_id := v_existing;
        outcome := 'existing';
        return next;
        return;
      elsif p_on_conflict = 'raise' then
        raise exception using errcode = 'JM010',
          message = format('workflow %s: a run with key %s is already running (run %s); start with on_conflict ignore or replace to reuse it',
                           p_name, to_jsonb(p_run_key)::text, v_existing),
          detail = jsonb_build_object('run_id', v_existing::text, 'run_key', p_run_key, 'workflow', p_name)::text;
      end if;
      perform :schema.cancel_workflow_run(v_existing, null, null);
      outcome := 'replaced';
    end;
  end loop;

  perform :schema.workflow_begin_runs(array[run_id]);
  outcome := coalesce(outcome, 'started');
  return next;
end;
$$;
