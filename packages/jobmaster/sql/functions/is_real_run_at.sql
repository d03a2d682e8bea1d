-- True when a run-at is a time every door accepts: a real date (not 'infinity', which would
-- never come due) in the years 1 to 9999, the rule of the TypeScript door too (jobs/run-at.ts:
-- beyond 9999 a JavaScript Date is written as +275760-..., a form PostgreSQL does not read).
create or replace function :schema.is_real_run_at(p_run_at timestamptz)
returns boolean
language sql immutable parallel safe
as $$
  select p_run_at between '0001-01-01 00:00:00+00'::timestamptz and '9999-12-31 23:59:59.999+00'::timestamptz;
$$;
