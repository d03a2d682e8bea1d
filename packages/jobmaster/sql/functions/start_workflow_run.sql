-- Starts a run of a deployed workflow: checks the parameters against the workflow's
-- (no unknown ones, required ones given, each of its declared type; defaults filled in),
-- creates the run with a copy of the definition and one row per step, and starts every step
-- that requires none (workflow_start_step).
-- Params: workflow name; parameters (a JSON object; null = {}); run key (null = none);
-- conflict mode for a key held by a running run of the workflow: 'raise' (SQLSTATE JM010,
-- detail {"run_id", "run_key", "workflow"}), 'ignore' (return that run), 'replace' (cancel
-- that run and start a new one); schedule tick (null unless a schedule starts it: a tick
-- starts at most one run, later calls for it return no row).
-- Returns run_id and outcome: 'started', 'existing' (ignore), 'replaced'.
-- Raises JM008 for an unknown workflow, JM002 for parameters that break a rule.
create or replace function :schema.start_workflow_run(
  p_name text, p_params jsonb default '{}', p_run_key text default null, p_on_conflict text default 'raise',
  p_schedule_tick timestamptz default null,
  out run_id bigint, out outcome text)
returns setof record
language plpgsql volatile
as $$
declare
  v_definition jsonb;
  v_params     jsonb := '{}';
  v_param      jsonb;
  v_value      jsonb;
  v_unknown    text;
  v_existing   bigint;
  v_step       record;
begin
  if p_on_conflict is null or p_on_conflict not in ('raise', 'ignore', 'replace') then
    raise exception using errcode = 'JM002',
      message = format('workflow %s: on_conflict must be raise, ignore or replace, got %s', to_jsonb(p_name)::text,
                       coalesce(to_jsonb(left(p_on_conflict, 40))::text, 'null'));
  end if;
  if p_run_key is not null and length(p_run_key) not between 1 and 255 then
    raise exception using errcode = 'JM002', message = format('workflow %s: a run key must be 1 to 255 characters long', to_jsonb(p_name)::text);
  end if;
  select w.definition into v_definition from :schema.workflows w where w.name = p_name;
  if not found then
    raise exception using errcode = 'JM008', detail = p_name,
      message = format('No workflow %s is deployed ("jm deploy" syncs the workflow files; "jm workflows" lists them)', to_jsonb(left(p_name, 200))::text);
  end if;
  p_params := coalesce(p_params, '{}');
  if jsonb_typeof(p_params) <> 'object' then
    raise exception using errcode = 'JM002', message = format('workflow %s: parameters must be a JSON object, got %s', p_name, jsonb_typeof(p_params));
  end if;
  select k into v_unknown from jsonb_object_keys(p_params) k
   where not exists (select 1 from jsonb_array_elements(v_definition -> 'params') p where p ->> 'name' = k)
   order by k limit 1;
  if v_unknown is not null then
    raise exception using errcode = 'JM002', message = format('workflow %s: unknown parameter %s', p_name, to_jsonb(left(v_unknown, 60))::text);
  end if;
  for v_param in select p from jsonb_array_elements(v_definition -> 'params') p loop
    v_value := p_params -> (v_param ->> 'name');
    if v_value is null then
      if (v_param ->> 'required')::boolean then
        raise exception using errcode = 'JM002', message = format('workflow %s: missing required parameter "%s"', p_name, v_param ->> 'name');
      end if;
      v_value := v_param -> 'default';
    elsif not (case v_param ->> 'type'
                 when 'integer' then jsonb_typeof(v_value) = 'number' and v_value::text::numeric = trunc(v_value::text::numeric)
                 else jsonb_typeof(v_value) = v_param ->> 'type' end) then
      raise exception using errcode = 'JM002',
        message = format('workflow %s: parameter "%s" must be %s, got %s', p_name, v_param ->> 'name',
                         case when v_param ->> 'type' in ('integer', 'array', 'object') then 'an ' else 'a ' end || (v_param ->> 'type'),
                         left(v_value::text, 60));
    end if;
    v_params := v_params || jsonb_build_object(v_param ->> 'name', v_value);
  end loop;

  loop
    begin
      insert into :schema.workflow_runs (workflow_name, definition, params, run_key, schedule_tick)
      values (p_name, v_definition, v_params, p_run_key, p_schedule_tick)
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

  insert into :schema.workflow_run_steps (run_id, step_id, position, type_key, task_key, requires, args, priority, pending)
  select run_id, s.value ->> 'id', s.ord, s.value ->> 'type_key', s.value ->> 'task_key',
         array(select jsonb_array_elements_text(s.value -> 'requires')), coalesce(s.value -> 'args', '{}'),
         coalesce((s.value ->> 'priority')::integer, 0), jsonb_array_length(s.value -> 'requires')
    from jsonb_array_elements(v_definition -> 'steps') with ordinality s(value, ord);
  for v_step in
    select s.step_id from :schema.workflow_run_steps s where s.run_id = start_workflow_run.run_id and s.pending = 0 order by s.position
  loop
    exit when :schema.workflow_start_step(run_id, v_step.step_id) is null;
  end loop;
  outcome := coalesce(outcome, 'started');
  return next;
end;
$$;
