-- JobMaster schema, version 14: failure alerts that cannot be lost.
-- Placeholders as in 0001.
--
-- An outbox: every path that fails a job (fail_jobs, recover_expired_leases, fail_dependents,
-- claim_jobs, chain_next_jobs) inserts the alert in the statement that marks the job failed, so the alert
-- commits or rolls back with the failure itself. Workers with a destination (a webhook, a
-- command, a TypeScript handler) claim due alerts (claim_alerts), deliver them outside any
-- transaction, and record the outcome (settle_alerts); a worker that dies mid-delivery loses
-- nothing, since a claim only pushes next_attempt_at past the delivery's timeout.
--
-- Every failed attempt is recorded (final = false for one that will be retried), whether or
-- not a worker delivers alerts now: a deliverer started later catches up, and a worker run
-- with --alert-on attempt finds the attempts too. A row holds what the failure path has at
-- hand and nothing more (the job's arguments are read at delivery), so failing costs one
-- insert of a narrow row.
create table :schema.job_alerts (
  id              bigint generated always as identity primary key,
  -- No foreign key: checking one would cost every failure a lookup, and an alert outlives a
  -- pruned job (its arguments are then unknown). `jm prune` deletes old alerts itself.
  job_id          bigint not null,
  type_key        text not null,
  task_key        text not null,
  -- True when the job failed for good; false for a failed attempt that will be retried.
  final           boolean not null,
  attempt         integer not null,
  max_attempts    integer not null,
  -- error: the task threw; lease: its worker stopped renewing the lease (killed, lost);
  -- dependency: a job it waited for failed; claim: it could not be prepared to run;
  -- next: its next task (`@task({ next })`) refused its result.
  cause           text not null check (cause in ('error', 'lease', 'dependency', 'claim', 'next')),
  message         text not null,
  stack           text,
  node            text,
  worker_id       text,
  failed_at       timestamptz not null default now(),
  -- Delivery. A claim sets next_attempt_at past the delivery's timeout (the claim's lease);
  -- a failed delivery sets it to the retry time.
  next_attempt_at timestamptz not null default now(),
  deliveries      integer not null default 0,
  claimed_by      text,
  attempted_at    timestamptz,
  -- Destinations that already took the alert ('webhook', 'command', 'onJobFailed',
  -- 'onFailure'): a retry after one of several failed does not repeat the others.
  delivered_to    text[] not null default '{}',
  last_error      text,
  delivered_at    timestamptz,
  delivered_by    text
);

-- Undelivered alerts, final failures first, oldest first: what claim_alerts walks, and where
-- `jm status` finds the count and the oldest.
create index job_alerts_pending on :schema.job_alerts (final desc, id) where delivered_at is null;

-- What a live worker delivers: 'final' or 'attempt' (--alert-on), null when it delivers none.
-- `jm status` says when no live worker delivers alerts.
alter table :schema.workers add column alerts text check (alerts in ('final', 'attempt'));
