-- A job's history, oldest first: the rows in job_events plus, for a running or complete
-- job, the start of its current attempt and its completion, read from the job row. (Its
-- creation is jobs.created_at.)
create or replace function :schema.job_history(p_id bigint)
returns table (at timestamptz, status text, node text, pid integer, message text)
language sql stable
as $$
  select h.at, h.status, h.node, h.pid, h.message
    from (select e.at, e.status, e.node, e.pid, e.message, e.id
            from :schema.job_events e where e.job_id = p_id
          union all
          select j.started_at, 'running', j.node, j.pid, format('attempt %s of %s', j.attempts, j.max_attempts), null
            from :schema.jobs j where j.id = p_id and j.status in ('running', 'complete') and j.started_at is not null
          union all
          select j.finished_at, 'complete', j.node, j.pid, j.message, null
            from :schema.jobs j where j.id = p_id and j.status = 'complete') h
   order by h.at, h.id nulls last, h.status = 'complete';
$$;
