-- JobMaster schema, version 16: workflow_run_steps pages keep room for updated rows. A step
-- row is updated two or three times as its run advances (started, its dependents counted
-- down, complete); with room on its page an update that changes no indexed column (status,
-- pending, result) is a heap-only one, with no new index entries. Placeholders as in 0001.
alter table :schema.workflow_run_steps set (fillfactor = 70);
