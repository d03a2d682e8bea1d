// What each write of a job's life costs in the server, and what each index of `jobs` adds to
// it: the row writes of enqueue (insert waiting), claim (update to running) and completion
// (update to complete); and completion done instead as a move to a history table (delete,
// then insert into a table with the finished-job indexes and no predicates), as a redesign
// keeping finished jobs out of `jobs` would do it, or as a plain delete, as a queue that keeps
// no history (graphile-worker) does it. Plain statements, not JobMaster's functions: only the
// storage is measured, the same way for every variant.
//
//   pnpm exec jiti scripts/storage-costs.ts [rows] [--repeat K]   (default 21,000 and 9)
//
// Each variant is a schema of its own, deployed with one index of `jobs` dropped (or none);
// each pass empties a variant's table and runs the phases on `rows` jobs, 1,000 per statement,
// one session. Passes go round the variants in turn, so that a machine slowing down or
// speeding up moves every variant alike. Prints the fastest pass's µs per job of each phase
// (wall time around each statement: the pass least disturbed by anything else on the
// machine), and the spread of the passes with every index; trust only differences well above
// the run-to-run change of the figures.
//
// The database is BENCH_DATABASE_URL, else DATABASE_URL, else the local PostgreSQL; the
// schemas bench_storage_costs_N are created and dropped.
import { JobMaster, createPool } from 'jobmaster';
import { nowMs } from '../src/stats.js';

const url = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const rows = Number(process.argv[2] ?? 21_000);
const repeatAt = process.argv.indexOf('--repeat');
const repeat = repeatAt > 0 ? Number(process.argv[repeatAt + 1]) : 9;
const BATCH = 1000;
if (!Number.isSafeInteger(rows) || rows < 3 * BATCH || rows % (3 * BATCH) !== 0 || !Number.isSafeInteger(repeat) || repeat < 1) {
  throw new Error('usage: storage-costs.ts [rows, a multiple of 3,000] [--repeat K]');
}

// The indexes of `jobs` a job's row enters on its way through the queue (the rest stay empty
// for plain jobs: keys, schedules, dependencies, spawned jobs, run_at in the future).
const VARIANTS = [
  null,
  'jobs_active_identity',
  'jobs_claim_order',
  'jobs_waiting_by_task',
  'jobs_lease_expiry',
  'jobs_finished',
  'jobs_status_id',
  'jobs_task_id',
] as const;
const PHASES = ['insert waiting', 'claim', 'complete in place', 'complete by move', 'complete by delete'] as const;
type Phase = (typeof PHASES)[number];

// JobMaster's own pool, with the session settings its workers run with.
const pool = createPool(url, { max: 1 });
const schemaOf = (variant: number) => `"bench_storage_costs_${variant}"`;

async function timed(sql: string, values: unknown[] = []): Promise<number> {
  const started = nowMs();
  await pool.query(sql, values);
  return nowMs() - started;
}

/** The ids 1..rows in batches, as the claim and completion statements take them. */
function batches(): number[][] {
  const out: number[][] = [];
  for (let at = 0; at < rows; at += BATCH) out.push(Array.from({ length: BATCH }, (_, i) => at + i + 1));
  return out;
}

async function onePass(s: string): Promise<Record<Phase, number>> {
  await pool.query(`truncate ${s}.jobs, ${s}.job_history restart identity cascade`);
  const ms: Record<Phase, number> = {
    'insert waiting': 0,
    claim: 0,
    'complete in place': 0,
    'complete by move': 0,
    'complete by delete': 0,
  };
  for (let at = 0; at < rows; at += BATCH) {
    ms['insert waiting'] += await timed(
      `insert into ${s}.jobs (type_key, task_key, arguments, process_units, max_attempts)
       select 'bench', 'noop', jsonb_build_object('n', g, 't', 0), 1, 3 from generate_series($1::int, $2::int) g`,
      [at + 1, at + BATCH],
    );
  }
  const all = batches();
  for (const ids of all) {
    ms.claim += await timed(
      `update ${s}.jobs j set status = 'running', attempts = j.attempts + 1, started_at = now(), node = 'n', pid = 1,
              worker_id = 'w', lease_expires_at = now() + interval '5 minutes'
        where j.id = any ($1::bigint[])`,
      [ids],
    );
  }
  // A third of the jobs completes each way.
  const third = all.length / 3;
  for (const ids of all.slice(0, third)) {
    ms['complete in place'] += await timed(
      `update ${s}.jobs j set status = 'complete', finished_at = now(), result = 'null', lease_expires_at = null
        where j.id = any ($1::bigint[])`,
      [ids],
    );
  }
  for (const ids of all.slice(third, 2 * third)) {
    ms['complete by move'] += await timed(
      `with moved as (delete from ${s}.jobs j where j.id = any ($1::bigint[]) returning j.*)
       insert into ${s}.job_history select (m).* from (select m from moved m) x`,
      [ids],
    );
  }
  for (const ids of all.slice(2 * third)) {
    ms['complete by delete'] += await timed(`delete from ${s}.jobs j where j.id = any ($1::bigint[])`, [ids]);
  }
  const perJob = (phase: Phase, count: number) => (ms[phase] * 1000) / count;
  return {
    'insert waiting': perJob('insert waiting', rows),
    claim: perJob('claim', rows),
    'complete in place': perJob('complete in place', rows / 3),
    'complete by move': perJob('complete by move', rows / 3),
    'complete by delete': perJob('complete by delete', rows / 3),
  };
}

/** A fresh deploy with one index of `jobs` dropped, and the history table a move writes to. */
async function setUp(s: string, drop: string | null): Promise<void> {
  await pool.query(`drop schema if exists ${s} cascade`);
  await new JobMaster({ pool, schema: s.slice(1, -1) }).deploy();
  if (drop) await pool.query(`drop index ${s}.${drop}`);
  // A move's target holds finished jobs only, so its indexes need no predicates; no foreign
  // keys point at `jobs` rows that leave (a redesign would drop them).
  await pool.query(`alter table ${s}.jobs drop constraint jobs_spawned_by_fkey`);
  await pool.query(`alter table ${s}.job_events drop constraint job_events_job_id_fkey`);
  await pool.query(`alter table ${s}.workflow_run_steps drop constraint workflow_run_steps_job_id_fkey`);
  await pool.query(`create table ${s}.job_history (like ${s}.jobs including defaults)`);
  await pool.query(`alter table ${s}.job_history alter column id drop identity if exists`);
  await pool.query(`alter table ${s}.job_history add primary key (id)`);
  await pool.query(`create index on ${s}.job_history (type_key, task_key, finished_at)`);
  await pool.query(`create index on ${s}.job_history (status, id)`);
  await pool.query(`create index on ${s}.job_history (type_key, task_key, id)`);
}

const passes: Array<Array<Record<Phase, number>>> = VARIANTS.map(() => []);
try {
  for (const [v, drop] of VARIANTS.entries()) {
    await setUp(schemaOf(v), drop);
    await onePass(schemaOf(v)); // warm-up
  }
  for (let k = 0; k < repeat; k++) {
    for (const v of VARIANTS.keys()) passes[v]!.push(await onePass(schemaOf(v)));
    process.stderr.write(`pass ${k + 1} of ${repeat} done\n`);
  }
} finally {
  for (const v of VARIANTS.keys()) await pool.query(`drop schema if exists ${schemaOf(v)} cascade`);
  await pool.end();
}
const results = VARIANTS.map((drop, v) => {
  const of = (phase: Phase) => passes[v]!.map((p) => p[phase]);
  return {
    variant: drop ? `without ${drop}` : 'every index',
    fastest: Object.fromEntries(PHASES.map((p) => [p, Math.min(...of(p))])) as Record<Phase, number>,
    spread: Object.fromEntries(PHASES.map((p) => [p, [Math.min(...of(p)), Math.max(...of(p))]])) as Record<Phase, [number, number]>,
  };
});

const base = results[0]!.fastest;
console.log(`µs per job, fastest of ${repeat} passes over ${rows.toLocaleString('en-US')} jobs (${BATCH} per statement), one session:`);
console.table(
  results.map((r) =>
    Object.fromEntries([
      ['variant', r.variant],
      ...PHASES.map((p) => [
        p,
        r.variant === 'every index' ? r.fastest[p].toFixed(1) : `${r.fastest[p].toFixed(1)} (${(r.fastest[p] - base[p]).toFixed(1)})`,
      ]),
    ]),
  ),
);
const spread = results[0]!.spread;
console.log(
  `spread between passes with every index: ${PHASES.map((p) => `${p} ${spread[p][0].toFixed(1)}–${spread[p][1].toFixed(1)}`).join(', ')}`,
);
console.log('(in brackets: the change against every index, i.e. minus what that index costs the phase)');
