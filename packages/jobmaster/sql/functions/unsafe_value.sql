-- Says what in a JSON value JavaScript cannot hold faithfully ("is nested ...", "holds ..."), or
-- null when nothing: a value nested more than 100 levels deep, a number beyond ±1.8e308 (it
-- would be Infinity), a non-zero number below 5e-324 (it would be 0), or a number beyond
-- ±9007199254740991 that no double equals and that is not how JavaScript writes one (it would
-- be rounded; below 2^53, fractions round as they do in any JSON). Every door validates through prepare_arguments (and the batch check of
-- enqueue_many), so none of them stores a value a task would receive changed. (NUL and lone
-- surrogates cannot reach a jsonb value at all: PostgreSQL refuses them when parsing.)
-- Quick for ordinary values: jsonb prints numbers without exponents, so a number that can be
-- at fault shows 16 digits in a row, and a value nested 101 levels deep shows 101 brackets;
-- only a value whose text has either is searched number by number.
create or replace function :schema.unsafe_value(p_value jsonb)
returns text
language plpgsql immutable parallel safe
as $$
declare
  v_text  text;
  v_n     numeric;
  v_shown text;
  v_e     numeric;
begin
  if jsonb_typeof(p_value) in ('string', 'boolean', 'null') or p_value is null then
    return null;
  end if;
  v_text := p_value::text;
  if length(v_text) - length(translate(v_text, '[{', '')) > 100
     and jsonb_path_exists(p_value, 'strict $.**{100}') then
    return 'is nested more than 100 levels deep';
  end if;
  if v_text !~ '[0-9]{16}' then
    return null;
  end if;
  for v_n in select v::text::numeric from jsonb_path_query(p_value, 'strict $.** ? (@.type() == "number")') v loop
    -- A number of many digits is shown as 1e+400 would be written.
    if v_n = 0 or length(v_n::text) <= 24 then
      v_shown := v_n::text;
    else
      v_e := floor(log(abs(v_n)));
      v_shown := format('%se%s', trim_scale(round(case when v_e >= 0 then v_n / 10::numeric ^ v_e
                                                       else v_n * 10::numeric ^ (-v_e) end, 6)), v_e);
    end if;
    if abs(v_n) > 1.7976931348623157e308 then
      return format('holds %s, beyond the largest number JavaScript holds (±1.8e308)', v_shown);
    elsif v_n <> 0 and abs(v_n) < 4.9406564584124654e-324 then
      return format('holds %s, which JavaScript would round to 0', v_shown);
    elsif abs(v_n) > 9007199254740991
          -- 15 significant digits or fewer always come back as written (DBL_DIG).
          and length(trim(both '0' from replace(abs(v_n)::text, '.', ''))) > 15
          and :schema.javascript_reading(v_n) <> v_n then
      -- Not as a double is written; still faithful if a double equals it exactly: beyond
      -- 2^53 a double is m * 2^k with |m| < 2^53, a number whose lowest (bit length - 53) bits
      -- are zero. Its bit length is found exactly, by powers of two.
      v_e := floor(log(2, abs(v_n)));
      if 2::numeric ^ (v_e + 1) <= abs(v_n) then v_e := v_e + 1; end if;
      if 2::numeric ^ v_e > abs(v_n) then v_e := v_e - 1; end if;
      if v_n <> trunc(v_n) or mod(abs(v_n), 2::numeric ^ (v_e - 52)) <> 0 then
        return format('holds %s, which JavaScript would read as %s', v_shown, :schema.javascript_reading(v_n));
      end if;
    end if;
  end loop;
  return null;
end;
$$;
