-- A run starter's trace context checked as enqueue checks a job's: a JSON object of at most
-- 4096 characters, or null (JSON null too). Raises JM002 naming the workflow.
-- Params: workflow name (for the message), the trace context. Returns it, or null.
create or replace function :schema.workflow_trace_context(p_name text, p_trace_context jsonb)
returns jsonb
language plpgsql immutable
as $$
begin
  if p_trace_context is null or p_trace_context = 'null'::jsonb then
    return null;
  end if;
  if jsonb_typeof(p_trace_context) <> 'object' or length(p_trace_context::text) > 4096 then
    raise exception using errcode = 'JM002',
      message = format('workflow %s: trace_context must be a JSON object of at most 4096 characters such as {"traceparent": "00-..."}, got %s',
                       to_jsonb(left(p_name, 200))::text, left(p_trace_context::text, 60));
  end if;
  return p_trace_context;
end;
$$;
