-- The fast path's check of one task's arguments, as a SQL boolean over `s.a` (the given
-- arguments object), and the task's defaults. Conservative: true only for arguments that
-- prepare_arguments accepts unchanged but for the defaults it fills in; anything else
-- goes to the slow path, which names the problem. Every name and value is quoted with %L.
create or replace function :schema.arguments_check(p_type_key text, p_task_key text, out check_sql text, out defaults jsonb)
language plpgsql stable
as $$
declare
  v_write_all text[];
  v_param     record;
  v_value     text;
  v_ok        text;
begin
  select t.write_all into v_write_all from :schema.tasks t where t.type_key = p_type_key and t.task_key = p_task_key;
  select format('(s.a - %L::text[]) = ''{}''::jsonb', coalesce(array_agg(p.name), '{}')),
         coalesce(jsonb_object_agg(p.name, coalesce(p.default_value, 'null')) filter (where not p.required), '{}')
    into check_sql, defaults
    from :schema.task_parameters p where p.type_key = p_type_key and p.task_key = p_task_key;
  for v_param in
    select * from :schema.task_parameters p where p.type_key = p_type_key and p.task_key = p_task_key order by p.position
  loop
    v_value := format('(s.a -> %L)', v_param.name);
    v_ok := case v_param.json_type
              when 'integer' then format('(jsonb_typeof(%1$s) = ''number'' and scale((%1$s)::numeric) = 0)', v_value)
              else format('jsonb_typeof(%s) = %L', v_value, v_param.json_type)
            end;
    if v_param.select_from is not null then
      v_ok := format('(%s and %s = any (%L::jsonb[]))', v_ok, v_value,
                     (select array_agg(e) from jsonb_array_elements(v_param.select_from) e));
    end if;
    -- A number of 16 characters or more may be one JavaScript cannot hold, and a nested value
    -- may hold one: those are checked (unsafe_value), or left to prepare_arguments to name.
    -- A number not written as JavaScript writes it (1.0, 1.50) is too: prepare_arguments
    -- rewrites it.
    if v_param.json_type in ('number', 'integer') then
      v_ok := format('(%1$s and length(%2$s::text) < 16 and %2$s::text = ((%2$s::text)::float8)::text)', v_ok, v_value);
    elsif v_param.json_type in ('object', 'array') then
      v_ok := format('(%s and :schema.unsafe_value(%s) is null)', v_ok, v_value);
    end if;
    if v_param.name = any (v_write_all) then
      v_ok := format('(%s = ''"ALL"'' or %s)', v_value, v_ok);
    end if;
    if not v_param.required and v_param.default_value = 'null' then
      v_ok := format('(%s = ''null'' or %s)', v_value, v_ok);
    end if;
    check_sql := check_sql || ' and ' || case when v_param.required then format('s.a ? %L and %s', v_param.name, v_ok)
                                              else format('(not s.a ? %L or %s)', v_param.name, v_ok) end;
  end loop;
end;
$$;
