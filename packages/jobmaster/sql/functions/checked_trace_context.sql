-- An enqueuer's or workflow starter's trace context (an OpenTelemetry carrier such as
-- {"traceparent": "00-..."}) checked: a JSON object of at most 4096 characters, or null (JSON
-- null too). Raises JM002 naming whose it is.
-- Params: whose (the task, or `workflow "etl"`), for the message; the trace context.
-- Returns it, or null.
create or replace function :schema.checked_trace_context(p_whose text, p_trace_context jsonb)
returns jsonb
language plpgsql immutable
as $$
begin
  if p_trace_context is null or p_trace_context = 'null'::jsonb then
    return null;
  end if;
  if jsonb_typeof(p_trace_context) <> 'object' or length(p_trace_context::text) > 4096 then
    raise exception using errcode = 'JM002',
      message = format('%s: trace_context must be a JSON object of at most 4096 characters such as {"traceparent": "00-..."}, got %s',
                       p_whose, left(p_trace_context::text, 60));
  end if;
  return p_trace_context;
end;
$$;
