-- Pauses or resumes a schedule (code or run-time; a deploy keeps the pause). Resuming sets
-- the next tick to p_next_fire_at (computed by the caller from now): ticks that passed
-- while paused are not fired. JM006 when there is no such schedule.
create or replace function :schema.set_schedule_paused(p_name text, p_paused boolean, p_next_fire_at timestamptz default null)
returns setof :schema.schedules
language plpgsql volatile
as $$
declare
  v_row :schema.schedules;
begin
  update :schema.schedules s
     set paused = p_paused, updated_at = now(),
         next_fire_at = case when p_paused or not s.paused then s.next_fire_at else p_next_fire_at end
   where s.name = p_name
  returning * into v_row;
  if not found then
    raise exception using errcode = 'JM006', message = format('no schedule %s', p_name), detail = jsonb_build_object('name', p_name)::text;
  end if;
  if not p_paused then
    perform pg_notify(:channel_literal, '');
  end if;
  return next v_row;
end;
$$;
