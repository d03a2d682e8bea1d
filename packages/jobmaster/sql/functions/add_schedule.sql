-- Adds a schedule after validating its arguments like any enqueue (JM001 unknown task, JM002
-- bad arguments). Raises JM005 (detail {"name", "source"}) when the name is taken. The first
-- tick (p_next_fire_at) is computed by the caller from the expression. Wakes idle workers.
create or replace function :schema.add_schedule(
  p_name text, p_source text, p_type_key text, p_task_key text, p_arguments jsonb, p_cron text,
  p_time_zone text, p_catch_up text, p_backfill_limit integer, p_next_fire_at timestamptz)
returns setof :schema.schedules
language plpgsql volatile
as $$
declare
  v_source text;
begin
  perform :schema.prepare_arguments(p_type_key, p_task_key, p_arguments);
  select s.source into v_source from :schema.schedules s where s.name = p_name;
  if found then
    raise exception using errcode = 'JM005', message = format('schedule %s already exists', p_name),
      detail = jsonb_build_object('name', p_name, 'source', v_source)::text;
  end if;
  return query
    insert into :schema.schedules (name, source, type_key, task_key, arguments, cron, time_zone, catch_up, backfill_limit, next_fire_at)
    values (p_name, p_source, p_type_key, p_task_key, coalesce(p_arguments, '{}'), p_cron, p_time_zone, p_catch_up,
            p_backfill_limit, p_next_fire_at)
    returning *;
  perform pg_notify(:channel_literal, '');
exception when unique_violation then
  raise exception using errcode = 'JM005', message = format('schedule %s already exists', p_name),
    detail = jsonb_build_object('name', p_name, 'source', 'runtime')::text;
end;
$$;
