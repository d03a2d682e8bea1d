-- True when a run-at is a real date every door can hold: finite (not 'infinity', which would
-- never come due) and no later than a JavaScript Date holds (275760 AD; PostgreSQL's earliest,
-- 4713 BC, is later than JavaScript's), so every worker and tool can read it.
create or replace function :schema.is_real_run_at(p_run_at timestamptz)
returns boolean
language sql immutable parallel safe
as $$
  select isfinite(p_run_at) and p_run_at <= '275760-09-13 00:00:00+00'::timestamptz;
$$;
