-- Claims up to p_limit due, undelivered failure alerts for one deliverer (a worker), final
-- failures first, oldest first, skipping those another deliverer is claiming. The claim is a
-- lease: it pushes next_attempt_at p_lock_seconds ahead, so an alert whose deliverer dies
-- mid-delivery is due again then, and counts the delivery attempt.
-- Params: the deliverer's worker id; most alerts; seconds the claim holds (longer than the
-- delivery's timeouts); whether failed attempts are wanted too (false: final failures only);
-- the tasks whose alerts it delivers ('type.task' names; null = every task).
-- Returns the alerts with their job's arguments (null when the job was pruned meanwhile) and
-- the destinations that already took each (see settle_alerts).
create or replace function :schema.claim_alerts(
  p_worker_id text, p_limit integer, p_lock_seconds double precision, p_attempts boolean, p_tasks text[])
returns table (id bigint, job_id bigint, type_key text, task_key text, final boolean, attempt integer,
               max_attempts integer, cause text, message text, stack text, node text, failed_at timestamptz,
               deliveries integer, delivered_to text[], arguments jsonb)
language sql volatile
set jit = off
as $$
  with due as (
    -- `final >= not p_attempts` keeps to the index's final-failure half when attempts are not wanted.
    select a.id from :schema.job_alerts a
     where a.delivered_at is null and a.final >= not p_attempts and a.next_attempt_at <= now()
       and (p_tasks is null or a.type_key || '.' || a.task_key = any (p_tasks))
     order by a.final desc, a.id
     limit p_limit
       for update skip locked
  ), claimed as (
    update :schema.job_alerts a
       set next_attempt_at = now() + make_interval(secs => p_lock_seconds), deliveries = a.deliveries + 1,
           claimed_by = p_worker_id, attempted_at = now()
      from due
     where a.id = due.id
    returning a.id, a.job_id, a.type_key, a.task_key, a.final, a.attempt, a.max_attempts, a.cause, a.message,
              a.stack, a.node, a.failed_at, a.deliveries, a.delivered_to
  )
  select c.id, c.job_id, c.type_key, c.task_key, c.final, c.attempt, c.max_attempts, c.cause, c.message,
         c.stack, c.node, c.failed_at, c.deliveries, c.delivered_to, j.arguments
    from claimed c
    left join :schema.jobs j on j.id = c.job_id
   order by c.final desc, c.id;
$$;
