-- Starts many runs of one deployed workflow in one call, in order, all or none: the batch form
-- of start_workflow_run for runs without a run key, as enqueue_many is enqueue's. Each run's
-- parameters are checked as start_workflow_run checks them (the first bad one raises, naming
-- its position, and nothing is started); the runs, their steps and their roots are then
-- written a statement per stage for the whole batch (workflow_begin_runs).
--   select * from jobmaster.start_workflow_runs('etl', '[{"day": "2026-12-01"}, {"day": "2026-12-02"}]')
-- Params: workflow name; a JSON array of parameter objects, one per run (null = {}); the
-- starter's trace context, kept by every run (as start_workflow_run's).
-- Returns run_id, one row per run, in the array's order.
-- Raises JM008 for an unknown workflow, JM002 for a batch that is not an array or parameters
-- that break a rule.
create or replace function :schema.start_workflow_runs(p_name text, p_params jsonb, p_trace_context jsonb default null)
returns table (run_id bigint)
language plpgsql volatile
as $$
declare
  v_definition jsonb;
  v_params     jsonb[];
  v_ids        bigint[];
  i            integer;
begin
  if jsonb_typeof(p_params) is distinct from 'array' then
    raise exception using errcode = 'JM002',
      message = format('workflow %s: start_workflow_runs expects a JSON array of parameter objects', to_jsonb(left(p_name, 200))::text);
  end if;
  v_definition := :schema.workflow_definition(p_name);
  p_trace_context := :schema.checked_trace_context(format('workflow %s', to_jsonb(left(p_name, 200))), p_trace_context);
  v_params := array(select e.value from jsonb_array_elements(p_params) with ordinality e(value, ord) order by e.ord);
  for i in 1 .. coalesce(cardinality(v_params), 0) loop
    begin
      v_params[i] := :schema.workflow_params(p_name, v_definition, v_params[i]);
    exception when sqlstate 'JM002' then
      raise exception using errcode = 'JM002', message = format('run %s of %s: %s', i, cardinality(v_params), sqlerrm);
    end;
  end loop;
  if coalesce(cardinality(v_params), 0) = 0 then
    return;
  end if;
  -- Ids drawn in the array's order, so the rows returned follow it.
  v_ids := array(select nextval(pg_get_serial_sequence(':schema.workflow_runs', 'id')::regclass)
                   from generate_series(1, cardinality(v_params)));
  insert into :schema.workflow_runs (id, workflow_name, definition, params, trace_context)
  overriding system value
  select v_ids[u.ord], p_name, v_definition, u.params, p_trace_context from unnest(v_params) with ordinality u(params, ord);
  perform :schema.workflow_begin_runs(v_ids);
  return query select u.id from unnest(v_ids) with ordinality u(id, ord) order by u.ord;
end;
$$;
