-- Raises SQLSTATE JM003 (detail: the id) naming the first of p_ids that is not a job, so an
-- operation on several ids changes nothing when one of them does not exist.
create or replace function :schema.require_jobs(p_ids bigint[])
returns void
language plpgsql stable
as $$
declare
  v_missing bigint;
begin
  select min(u.id) into v_missing from unnest(p_ids) u(id)
   where not exists (select 1 from :schema.jobs m where m.id = u.id);
  if v_missing is not null then
    raise exception using errcode = 'JM003', message = format('No job with id %s', v_missing), detail = v_missing::text;
  end if;
end;
$$;
