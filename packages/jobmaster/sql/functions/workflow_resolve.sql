-- Resolves the references in a workflow step's arguments: a string that is exactly one
-- reference becomes the referenced JSON value (`${{ steps.extract.result.rows }}` -> 42); a
-- reference inside longer text is replaced by the value's text. References:
-- `params.NAME[.path]` (the run's parameters) and `steps.ID.result[.path]` (a completed
-- step's result); path segments name object keys or array indexes.
-- Params: the arguments (any JSON value), the run's parameters, the completed steps' results
-- as {"step id": result}. Returns the arguments resolved.
-- Raises SQLSTATE JM002 naming the reference when it points at nothing.
create or replace function :schema.workflow_resolve(p_value jsonb, p_params jsonb, p_results jsonb)
returns jsonb
language plpgsql immutable
as $$
declare
  v_whole text[];
  v_text  text;
  v_ref   text[];
  v_found jsonb;
begin
  -- Most values hold no reference: returned as they are, without walking them.
  if position('${{' in p_value::text) = 0 then
    return p_value;
  end if;
  case jsonb_typeof(p_value)
    when 'object' then
      return coalesce((select jsonb_object_agg(e.key, :schema.workflow_resolve(e.value, p_params, p_results))
                         from jsonb_each(p_value) e), '{}'::jsonb);
    when 'array' then
      return coalesce((select jsonb_agg(:schema.workflow_resolve(e.value, p_params, p_results) order by e.ord)
                         from jsonb_array_elements(p_value) with ordinality e(value, ord)), '[]'::jsonb);
    when 'string' then
      v_text := p_value #>> '{}';
      if position('${{' in v_text) = 0 then
        return p_value;
      end if;
      v_whole := regexp_match(v_text, '^\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}$');
      if v_whole is not null then
        return :schema.workflow_reference(v_whole[1], p_params, p_results);
      end if;
      for v_ref in select regexp_matches(v_text, '\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}', 'g') loop
        v_found := :schema.workflow_reference(v_ref[1], p_params, p_results);
        v_text := regexp_replace(v_text, '\$\{\{\s*' || replace(v_ref[1], '.', '\.') || '\s*\}\}',
                                 replace(case when jsonb_typeof(v_found) = 'string' then v_found #>> '{}' else v_found::text end, '\', '\\'));
      end loop;
      return to_jsonb(v_text);
    else
      return p_value;
  end case;
end;
$$;

-- The value one reference (the text inside `${{ }}`) points at; raises JM002 when none.
create or replace function :schema.workflow_reference(p_ref text, p_params jsonb, p_results jsonb)
returns jsonb
language plpgsql immutable
as $$
declare
  v_parts text[] := string_to_array(p_ref, '.');
  v_value jsonb;
begin
  if v_parts[1] = 'params' and cardinality(v_parts) >= 2 then
    v_value := p_params #> v_parts[2:];
  elsif v_parts[1] = 'steps' and cardinality(v_parts) >= 3 and v_parts[3] = 'result' then
    if not (p_results ? v_parts[2]) then
      raise exception using errcode = 'JM002', message = format('${{ %s }}: step "%s" has not completed', p_ref, v_parts[2]);
    end if;
    v_value := (p_results -> v_parts[2]) #> coalesce(v_parts[4:], '{}');
  else
    raise exception using errcode = 'JM002', message = format('${{ %s }} is not a reference', p_ref);
  end if;
  if v_value is null then
    raise exception using errcode = 'JM002', message = format('${{ %s }} points at nothing: %s', p_ref,
      case when v_parts[1] = 'params' then 'the run has no such parameter'
           else format('the result of step "%s" has no such value', v_parts[2]) end);
  end if;
  return v_value;
end;
$$;
