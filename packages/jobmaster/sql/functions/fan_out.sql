-- Expands a write-all job: one job per combination of the select-from values of its "ALL"
-- parameters, at the same priority. Returns {"total": n, "inserted": m}.
create or replace function :schema.fan_out(p_id bigint, p_type_key text, p_task_key text, p_priority integer,
                                 p_arguments jsonb, p_write_all text[])
returns jsonb
language plpgsql volatile
as $$
declare
  v_combos   jsonb := jsonb_build_array(p_arguments);
  v_param    text;
  v_combo    jsonb;
  v_total    integer := 0;
  v_inserted integer := 0;
  v_new      boolean;
begin
  foreach v_param in array p_write_all loop
    continue when p_arguments -> v_param is distinct from '"ALL"'::jsonb;
    select jsonb_agg(c.value || jsonb_build_object(v_param, s.value) order by c.ord, s.ord) into v_combos
      from jsonb_array_elements(v_combos) with ordinality c(value, ord)
     cross join lateral jsonb_array_elements(
             (select p.select_from from :schema.task_parameters p
               where p.type_key = p_type_key and p.task_key = p_task_key and p.name = v_param))
           with ordinality s(value, ord);
  end loop;
  for v_combo in select value from jsonb_array_elements(coalesce(v_combos, '[]')) loop
    select e.inserted into v_new from :schema.enqueue(p_type_key, p_task_key, p_priority, v_combo, null, p_id) e;
    v_total := v_total + 1;
    v_inserted := v_inserted + v_new::integer;
  end loop;
  return jsonb_build_object('total', v_total, 'inserted', v_inserted);
end;
$$;
