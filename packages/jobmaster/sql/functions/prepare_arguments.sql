-- Checks arguments against the registry and returns them with defaults filled in: the task
-- must exist; required parameters present; no unknown parameters; each value of its declared
-- type and, with select-from values, one of them; "ALL" only for write-all parameters; no value
-- a task would receive changed (unsafe_value: absurd nesting, numbers JavaScript cannot hold);
-- numbers written as JavaScript writes them.
-- Raises SQLSTATE JM001 for an unknown task (saying that jm deploy syncs the tasks in code),
-- JM002 for arguments that break a rule, naming the task, the parameter and the value (also
-- as the error's detail: {"task", "parameter", "value"}, the value when under 1,000 characters).
create or replace function :schema.prepare_arguments(p_type_key text, p_task_key text, p_arguments jsonb)
returns jsonb
language plpgsql stable
as $$
declare
  v_task      text := format('%s.%s', p_type_key, p_task_key);
  v_write_all text[];
  v_result    jsonb := '{}';
  v_param     record;
  v_value     jsonb;
  v_unknown   text;
  v_shown     text;
  v_unsafe    text;
  v_detail    text;
begin
  select t.write_all into v_write_all
    from :schema.tasks t where t.type_key = p_type_key and t.task_key = p_task_key;
  if not found then
    raise exception using errcode = 'JM001',
      message = format('No task %s is registered in the database ("jm deploy" syncs the tasks in code; "jm tasks" lists those)', v_task);
  end if;
  if p_arguments is null then
    p_arguments := '{}';
  elsif jsonb_typeof(p_arguments) <> 'object' then
    raise exception using errcode = 'JM002',
      message = format('%s: arguments must be a JSON object, got %s', v_task, jsonb_typeof(p_arguments)),
      detail = jsonb_build_object('task', v_task)::text;
  end if;

  select k into v_unknown
    from jsonb_object_keys(p_arguments) k
   where not exists (select 1 from :schema.task_parameters p
                      where p.type_key = p_type_key and p.task_key = p_task_key and p.name = k)
   order by k limit 1;
  if v_unknown is not null then
    raise exception using errcode = 'JM002',
      message = format('%s: unknown parameter %s', v_task, to_jsonb(left(v_unknown, 60))::text),
      detail = jsonb_build_object('task', v_task, 'parameter', v_unknown)::text;
  end if;

  for v_param in
    select * from :schema.task_parameters p
     where p.type_key = p_type_key and p.task_key = p_task_key order by p.position
  loop
    v_value := p_arguments -> v_param.name;
    if v_value is null then
      if v_param.required then
        raise exception using errcode = 'JM002',
          message = format('%s: missing required parameter "%s"', v_task, v_param.name),
          detail = jsonb_build_object('task', v_task, 'parameter', v_param.name)::text;
      end if;
      v_value := v_param.default_value;
    elsif v_value = '"ALL"'::jsonb and v_param.name = any (v_write_all) then
      null; -- fans out over the select-from values when the job runs
    else
      v_shown := left(v_value::text, 60);
      -- The facts of a refusal, for the TypeScript door's error fields (the value when small).
      v_detail := jsonb_build_object('task', v_task, 'parameter', v_param.name)
                  || case when length(v_value::text) <= 1000 then jsonb_build_object('value', v_value) else '{}' end;
      if v_value = '"ALL"'::jsonb and (v_param.json_type <> 'string' or v_param.select_from is not null)
         and not coalesce(v_param.select_from @> '["ALL"]'::jsonb, false) then
        raise exception using errcode = 'JM002',
          message = format('%s: "ALL" is only allowed for write-all parameters, and "%s" is not one', v_task, v_param.name),
          detail = v_detail;
      elsif v_value = 'null'::jsonb and not v_param.required and v_param.default_value = 'null'::jsonb then
        null; -- an optional parameter whose default is null accepts null
      elsif not (case v_param.json_type
                   when 'integer' then jsonb_typeof(v_value) = 'number' and v_value::text::numeric = trunc(v_value::text::numeric)
                   else jsonb_typeof(v_value) = v_param.json_type
                 end) then
        raise exception using errcode = 'JM002',
          message = format('%s: parameter "%s" must be %s, got %s', v_task, v_param.name,
                           case when v_param.json_type in ('integer', 'array', 'object') then 'an ' else 'a ' end || v_param.json_type,
                           v_shown),
          detail = v_detail;
      elsif v_param.select_from is not null
            and not exists (select 1 from jsonb_array_elements(v_param.select_from) e where e = v_value) then
        raise exception using errcode = 'JM002',
          message = format('%s: parameter "%s" must be one of %s, got %s', v_task, v_param.name,
                           (select string_agg(e::text, ', ') from jsonb_array_elements(v_param.select_from) e), v_shown),
          detail = v_detail;
      end if;
      if v_param.json_type in ('number', 'integer', 'object', 'array') then
        v_unsafe := :schema.unsafe_value(v_value);
        if v_unsafe is not null then
          raise exception using errcode = 'JM002', message = format('%s: parameter "%s" %s', v_task, v_param.name, v_unsafe),
            detail = v_detail;
        end if;
      end if;
    end if;
    -- A number as JavaScript writes it (1.0 -> 1, 1.50 -> 1.5): the task receives the same
    -- value either way, and the job's identity (the arguments' text) must not tell them apart.
    if v_param.json_type in ('number', 'integer') and jsonb_typeof(v_value) = 'number'
       and v_value::text <> ((v_value::text)::float8)::text then
      v_value := to_jsonb((v_value::text)::float8);
    end if;
    v_result := v_result || jsonb_build_object(v_param.name, v_value);
  end loop;
  return v_result;
end;
$$;
