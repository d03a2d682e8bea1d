-- JobMaster schema, version 13: trace context carried by jobs, and queue gauges read from
-- indexes. Placeholders as in 0001.
-- The W3C trace context of the enqueue that created a job (OpenTelemetry's carrier, e.g.
-- {"traceparent": "00-...-01"}), so the run's span can link to it. Null when the enqueuing
-- application traces nothing: no cost on the insert path then.
alter table :schema.jobs add column trace_context jsonb;
