-- The concrete arguments a dependency job must have, from the dependency's spec and the
-- dependent's arguments ("same" values, with their arithmetic applied in order).
create or replace function :schema.dependency_arguments(p_spec jsonb, p_arguments jsonb)
returns jsonb
language plpgsql immutable
as $$
declare
  v_result jsonb := '{}';
  v_key    text;
  v_arg    jsonb;
  v_value  jsonb;
  v_number numeric;
  v_step   jsonb;
begin
  for v_key, v_arg in select key, value from jsonb_each(p_spec) loop
    if v_arg ->> 'kind' = 'value' then
      v_value := v_arg -> 'value';
    else
      v_value := p_arguments -> (v_arg ->> 'parameter');
      if jsonb_array_length(coalesce(v_arg -> 'ops', '[]')) > 0 then
        v_number := (v_value #>> '{}')::numeric;
        for v_step in select value from jsonb_array_elements(v_arg -> 'ops') loop
          v_number := case v_step ->> 'op'
                        when '+' then v_number + (v_step ->> 'operand')::numeric
                        when '-' then v_number - (v_step ->> 'operand')::numeric
                        when '*' then v_number * (v_step ->> 'operand')::numeric
                        when '/' then v_number / (v_step ->> 'operand')::numeric
                      end;
        end loop;
        v_value := to_jsonb(case when v_number = trunc(v_number) then trunc(v_number) else v_number end);
      end if;
    end if;
    v_result := v_result || jsonb_build_object(v_key, v_value);
  end loop;
  return v_result;
end;
$$;
