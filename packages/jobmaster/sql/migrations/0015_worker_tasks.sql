-- JobMaster schema, version 15: each worker records the tasks it runs, so `jm explain` can
-- say that no live worker has loaded a job's task (claim_jobs takes the same list from the
-- worker as p_tasks). Placeholders as in 0001.
-- tasks: 'type_key.task_key' names; null for a worker that registered before this version
-- (explain then counts it as able to run any task, as it cannot know better).
alter table :schema.workers add column tasks text[];
