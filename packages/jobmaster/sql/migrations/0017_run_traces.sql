-- JobMaster schema, version 17: a workflow run keeps its starter's trace context (an
-- OpenTelemetry carrier, as jobs.trace_context), and each step's job takes it, so a run's
-- steps are linked to the start that set them off. Placeholders as in 0001.
alter table :schema.workflow_runs add column trace_context jsonb;
