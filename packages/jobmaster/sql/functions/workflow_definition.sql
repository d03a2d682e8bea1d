-- A deployed workflow's definition. Raises JM008 when no workflow of that name is deployed.
-- Param: workflow name. Returns its definition (jsonb).
create or replace function :schema.workflow_definition(p_name text)
returns jsonb
language plpgsql stable
as $$
declare
  v_definition jsonb;
begin
  select w.definition into v_definition from :schema.workflows w where w.name = p_name;
  if not found then
    raise exception using errcode = 'JM008', detail = p_name,
      message = format('No workflow %s is deployed ("jm deploy" syncs the workflow files; "jm workflows" lists them)', to_jsonb(left(p_name, 200))::text);
  end if;
  return v_definition;
end;
$$;
