-- JobMaster schema, version 4: cron schedules that fire exactly one job per tick however
-- many workers run, and the lookup an idle worker needs to wake on time.
-- Placeholders as in 0001.

------------------------------------------------------------------------------------------
-- Cron schedules
------------------------------------------------------------------------------------------

-- Cron expressions are evaluated in TypeScript (cron-parser); the database holds each
-- schedule's state and decides, row by row, who fires a tick: a worker reads the due rows
-- (for update skip locked), computes the ticks to fire and the next tick, and calls
-- fire_schedule, which advances next_fire_at by compare-and-set and inserts the tick's job in
-- the same transaction. jobs_schedule_tick makes a second job for a tick impossible.
create table :schema.schedules (
  name           text primary key check (name ~ '^[A-Za-z0-9_][A-Za-z0-9_.:#@/-]{0,199}$'),
  -- 'code': declared on a task, synced by `jm deploy`; 'runtime': added by `jm schedule add`.
  source         text not null check (source in ('code', 'runtime')),
  type_key       text not null,
  task_key       text not null,
  arguments      jsonb not null default '{}' check (jsonb_typeof(arguments) = 'object'),
  cron           text not null,
  -- IANA zone the expression is read in; null = UTC.
  time_zone      text,
  -- Ticks missed while nothing ran: 'latest' fires the latest one, 'skip' none,
  -- 'backfill' the latest backfill_limit ones.
  catch_up       text not null default 'latest' check (catch_up in ('latest', 'skip', 'backfill')),
  backfill_limit integer check (backfill_limit between 1 and 1000),
  paused         boolean not null default false,
  -- The first tick not yet fired; null when the expression has no further tick.
  next_fire_at   timestamptz,
  last_tick_at   timestamptz,
  last_fired_at  timestamptz,
  last_job_id    bigint,
  -- Why the last firing inserted no job (unknown task, arguments no longer valid), if so.
  last_error     text,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  check ((catch_up = 'backfill') = (backfill_limit is not null))
);
create index schedules_due on :schema.schedules (next_fire_at) where not paused;
