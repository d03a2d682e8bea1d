-- JobMaster schema, version 12: chaining without a workflow file. A task may name the task
-- that runs next (`@task({ next })`): when one of its jobs completes, a job of the next task is
-- enqueued with the completed job's result as its arguments, in the completion's transaction
-- (chain_next_jobs). Placeholders as in 0001.
alter table :schema.tasks
  add column next_type_key text,
  add column next_task_key text,
  add constraint tasks_next_check check ((next_type_key is null) = (next_task_key is null)),
  -- Deferred: a deploy writes the tasks of a chain one at a time.
  add constraint tasks_next_fkey foreign key (next_type_key, next_task_key)
    references :schema.tasks (type_key, task_key) deferrable initially deferred;
