-- Records how delivering claimed alerts went. Destinations that took an alert are added to
-- its delivered_to whatever else happened, so a retry does not repeat them. An alert every
-- destination took is delivered (kept until `jm prune` deletes it); one a destination refused
-- is due again after p_outcomes' retry_seconds, with the error kept for `jm status`, unless
-- another deliverer claimed it since (its lease had lapsed): that claim decides.
-- Params: the deliverer's worker id; [{"id": 1, "delivered_to": ["webhook"], "error": null |
-- "webhook: HTTP 500", "retry_seconds": 2}, ...].
-- Returns each alert it updated, and whether it is now delivered.
create or replace function :schema.settle_alerts(p_worker_id text, p_outcomes jsonb)
returns table (id bigint, delivered boolean)
language sql volatile
set jit = off
as $$
  with outcome as (
    select (o.value ->> 'id')::bigint as id,
           array(select jsonb_array_elements_text(coalesce(o.value -> 'delivered_to', '[]'))) as took,
           o.value ->> 'error' as error,
           coalesce((o.value ->> 'retry_seconds')::double precision, 0) as retry_seconds
      from jsonb_array_elements(p_outcomes) o
  )
  update :schema.job_alerts a
     set delivered_to = array(select distinct d from unnest(a.delivered_to || o.took) d order by d),
         delivered_at = case when o.error is null then now() end,
         delivered_by = case when o.error is null then p_worker_id end,
         last_error = coalesce(o.error, a.last_error),
         next_attempt_at = case when o.error is null then a.next_attempt_at
                                else now() + make_interval(secs => o.retry_seconds) end,
         claimed_by = null
    from outcome o
   where a.id = o.id and a.delivered_at is null
     and (o.error is null or a.claimed_by = p_worker_id)
  returning a.id, a.delivered_at is not null;
$$;
