-- A run's parameters checked against its workflow's: no unknown ones, required ones given,
-- each of its declared type; defaults filled in. Raises JM002 naming the workflow and the
-- parameter.
-- Params: workflow name (for messages), its definition, the parameters given (null = {}).
-- Returns the parameters with defaults.
create or replace function :schema.workflow_params(p_name text, p_definition jsonb, p_params jsonb)
returns jsonb
language plpgsql stable
as $$
declare
  v_params  jsonb := '{}';
  v_param   jsonb;
  v_value   jsonb;
  v_unknown text;
begin
  p_params := coalesce(p_params, '{}');
  if jsonb_typeof(p_params) <> 'object' then
    raise exception using errcode = 'JM002', message = format('workflow %s: parameters must be a JSON object, got %s', p_name, jsonb_typeof(p_params));
  end if;
  select k into v_unknown from jsonb_object_keys(p_params) k
   where not exists (select 1 from jsonb_array_elements(p_definition -> 'params') p where p ->> 'name' = k)
   order by k limit 1;
  if v_unknown is not null then
    raise exception using errcode = 'JM002', message = format('workflow %s: unknown parameter %s', p_name, to_jsonb(left(v_unknown, 60))::text);
  end if;
  for v_param in select p from jsonb_array_elements(p_definition -> 'params') p loop
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

  return v_params;
end;
$$;
