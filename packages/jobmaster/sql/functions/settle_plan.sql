-- Finishes plan_dependencies' answer once its subtransaction has been rolled back: a listed
-- job that no longer exists is one the claim would insert ("new": true, status "to insert",
-- no job_id: its id was never real); one that exists is waited for as it is ("new": false).
-- Param: plan_dependencies' JSON array. Returns it with "new" set and "again" removed.
create or replace function :schema.settle_plan(p_plan jsonb)
returns jsonb
language sql stable
as $$
  select coalesce(jsonb_agg(
           case when exists (select 1 from :schema.jobs j where j.id = (e ->> 'job_id')::bigint)
                then (e - 'again') || '{"new": false}'
                else (e - 'again' - 'job_id') || jsonb_build_object('new', not (e ->> 'again')::boolean, 'status', 'to insert')
           end order by x.ord), '[]')
    from jsonb_array_elements(coalesce(p_plan, '[]')) with ordinality x(e, ord);
$$;
