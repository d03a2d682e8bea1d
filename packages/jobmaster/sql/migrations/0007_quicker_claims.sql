-- JobMaster schema, version 7: quicker claims. Placeholders as in 0001.
-- claim_jobs is as in version 5, with these changes (docs/benchmarks.md, fourth round):
-- - The candidates are chosen and locked first, by one statement for every path, and the
--   per-batch checks for fan-out and dependencies (a join of every candidate with its task
--   and its dependencies) run only when one of them is of a task that can fan out or has a
--   dependency. They ran whenever one of the worker's tasks could, although its candidates
--   were nearly always plain jobs: a claim of 1,000 plain jobs by a worker that also knows
--   such tasks went from 14.8 to 13.6 ms.
-- - Lease recovery runs only when a lease has lapsed (one index probe decides). A one-job
--   claim, the idle worker's reply to a NOTIFY: about 0.1 ms less.
-- - A worker that runs only some of the tasks read the claim-order index, which holds every
--   task's jobs, through the other tasks' backlog to find its own. One of up to 8 tasks now
--   merges the heads of its tasks in jobs_waiting_by_task, which gains the claim order for
--   that (below).

-- Waiting jobs by task, in claim order: a worker that runs some of the tasks takes the best
-- of each of its tasks from here. Same entries as before (status counts, dependency twins),
-- 12 bytes wider. Rebuilt on upgrade: the deploy holds writes to jobs while it reads the table.
drop index :schema.jobs_waiting_by_task;
create index jobs_waiting_by_task on :schema.jobs (type_key, task_key, priority desc, id) where status = 'waiting';

