-- The number as JavaScript reads and writes it back: the nearest double, in its shortest
-- exact form (PostgreSQL's float8 output with extra_float_digits above 0, as JSON.stringify
-- writes it), as a numeric. Used by unsafe_value for numbers beyond 2^53.
create or replace function :schema.javascript_reading(p_number numeric)
returns numeric
language sql immutable parallel safe
set extra_float_digits = 1
as $$
  select p_number::float8::text::numeric;
$$;
