-- JobMaster schema, version 11: access tokens for the HTTP API and dashboard (`jm serve`,
-- `jm token`), and indexes that let the API page through the jobs of one status or task.
-- Placeholders as in 0001.
-- Only a SHA-256 hash of each token is kept: the token itself is printed once, at creation.
-- A token is valid while not revoked and not past expires_at.
create table :schema.api_tokens (
  name         text primary key check (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
  scope        text not null check (scope in ('read', 'operate', 'admin')),
  token_hash   bytea not null unique check (length(token_hash) = 32),
  created_at   timestamptz not null default now(),
  expires_at   timestamptz,
  revoked_at   timestamptz,
  last_used_at timestamptz
);

-- The API's and dashboard's job lists page by id, newest first. Filtered by a finished status
-- or by task, a page reads only matching rows through these; without them a status or task with
-- few rows among millions would be looked for by walking the whole primary key backwards.
-- Finished jobs only: an index on every job took an entry at each enqueue, claim and completion
-- and slowed a drain's claims and completions by 40% (20,000 jobs: 1.25 s -> 1.8 s). Waiting
-- and running jobs are found through the indexes the queue keeps for them.
create index jobs_status_id on :schema.jobs (status, id) where finished_at is not null;
create index jobs_task_id on :schema.jobs (type_key, task_key, id) where finished_at is not null;
