-- The quick form of prepare_arguments for set-based callers: for each (task, arguments) of
-- the arrays, the arguments with the task's defaults filled in when they surely fit the task,
-- else null (the caller then asks prepare_arguments, which names what is wrong).
-- Conservative: null for anything prepare_arguments might refuse, and never a value it would
-- not return. Fits: a known task; an object; every key a parameter; every required parameter
-- given; every value of its parameter's type (an integer whole; a number short enough to be
-- exact in JavaScript and written as JavaScript writes it; a nested value that unsafe_value
-- passes), a scalar among its
-- select-from values when it has them; never "ALL" (only a fan-out takes it); null only where
-- the parameter is optional and its default is null.
-- Joins over the whole set, no statement per item: about a tenth of prepare_arguments' cost
-- per item.
-- Params: task type keys, task keys and arguments, pairwise. Returns (ord, arguments), ord
-- being the 1-based position in the arrays, one row per position.
create or replace function :schema.fitting_arguments(p_type_keys text[], p_task_keys text[], p_arguments jsonb[])
returns table (ord bigint, arguments jsonb)
language sql stable
as $$
  with given as materialized (
    select u.ord, u.type_key, u.task_key, u.a
      from unnest(p_type_keys, p_task_keys, p_arguments) with ordinality u(type_key, task_key, a, ord)
  ), params as materialized (
    -- Each item's task's parameters, with the value given for each.
    select g.ord, p.name, p.required, p.json_type, p.default_value, p.select_from, g.a -> p.name as v
      from given g
      join :schema.task_parameters p on p.type_key = g.type_key and p.task_key = g.task_key
     where jsonb_typeof(g.a) = 'object'
  ), refused as (
    -- A key that is no parameter.
    select g.ord
      from given g
      cross join lateral jsonb_object_keys(case when jsonb_typeof(g.a) = 'object' then g.a end) k(name)
      left join :schema.task_parameters p on p.type_key = g.type_key and p.task_key = g.task_key and p.name = k.name
     where p.name is null
    union all
    -- A parameter not given that is required, or given a value that may not fit it.
    select p.ord
      from params p
     where case when p.v is null then p.required
                when p.v = 'null' and not p.required and p.default_value = 'null' then false
                when p.v = '"ALL"' then true
                when case p.json_type when 'integer' then jsonb_typeof(p.v) <> 'number'
                                      else jsonb_typeof(p.v) <> p.json_type end then true
                when p.json_type = 'integer' and scale((p.v #>> '{}')::numeric) <> 0 then true
                when p.json_type in ('number', 'integer')
                     and (length(p.v::text) >= 16 or p.v::text <> ((p.v::text)::float8)::text) then true
                when p.json_type in ('object', 'array') and :schema.unsafe_value(p.v) is not null then true
                when p.select_from is null then false
                else jsonb_typeof(p.v) in ('object', 'array') or not p.select_from @> jsonb_build_array(p.v)
           end
  ), defaults as (
    select p.ord, jsonb_object_agg(p.name, coalesce(p.default_value, 'null'::jsonb)) as d
      from params p where not p.required group by p.ord
  )
  select g.ord,
         case when t.type_key is not null and jsonb_typeof(g.a) = 'object' and r.ord is null
              then coalesce(d.d, '{}'::jsonb) || g.a end
    from given g
    left join :schema.tasks t on t.type_key = g.type_key and t.task_key = g.task_key
    left join (select distinct x.ord from refused x) r on r.ord = g.ord
    left join defaults d on d.ord = g.ord
$$;
