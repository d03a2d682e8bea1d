-- Removes a run-time schedule (its jobs stay). JM006 (detail {"name"}) when there is none,
-- JM007 when it is declared in code (only a deploy removes those).
create or replace function :schema.remove_schedule(p_name text)
returns setof :schema.schedules
language plpgsql volatile
as $$
declare
  v_row :schema.schedules;
begin
  select * into v_row from :schema.schedules s where s.name = p_name for update;
  if not found then
    raise exception using errcode = 'JM006', message = format('no schedule %s', p_name), detail = jsonb_build_object('name', p_name)::text;
  end if;
  if v_row.source = 'code' then
    raise exception using errcode = 'JM007', message = format('schedule %s is declared in code', p_name), detail = jsonb_build_object('name', p_name)::text;
  end if;
  delete from :schema.schedules s where s.name = p_name;
  return next v_row;
end;
$$;
