-- A time as people read it in explanations: '2026-12-03 10:15:00 UTC' (whole seconds).
create or replace function :schema.shown_time(p_at timestamptz)
returns text
language sql stable
as $$
  select to_char(p_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"');
$$;
