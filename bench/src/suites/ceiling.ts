import pg from 'pg';
import { newRow, record, type Table } from '../results.js';
import { nowMs } from '../stats.js';
import type { SuiteContext } from './context.js';

const SCHEMA = 'bench_ceiling';
const CLIENTS = 2;
const PER_TRANSACTION = [1, 10, 100, 1000];

/**
 * A pgbench-style ceiling without any queue library: 2 clients each loop "claim k jobs with
 * SKIP LOCKED" (one transaction) then "mark them done" (a second), on a bare table with the
 * same kind of partial index a queue uses. What PostgreSQL on this machine allows per job
 * when a queue does nothing else.
 */
export async function ceilingSuite(ctx: SuiteContext): Promise<Table> {
  const pool = new pg.Pool({ connectionString: ctx.options.databaseUrl, max: CLIENTS + 1 });
  const rows = PER_TRANSACTION.map((k) =>
    newRow(`${k} job${k === 1 ? '' : 's'} per transaction, ${CLIENTS} clients`, 'postgresql', `k${k}`),
  );
  try {
    for (let run = 1; run <= ctx.options.runs; run++) {
      for (const [i, k] of PER_TRANSACTION.entries()) {
        const jobs = k === 1 ? Math.min(ctx.options.jobs, 5_000) : ctx.options.jobs;
        await pool.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA};
          create table ${SCHEMA}.q (id bigint generated always as identity primary key, status int not null default 0, payload jsonb not null);
          create index q_waiting on ${SCHEMA}.q (id) where status = 0;`);
        await pool.query(`insert into ${SCHEMA}.q (payload) select jsonb_build_object('n', g) from generate_series(1, $1) g`, [jobs]);
        await pool.query(`analyze ${SCHEMA}.q`);
        const started = nowMs();
        let done = 0;
        await Promise.all(
          Array.from({ length: CLIENTS }, async () => {
            const client = await pool.connect();
            try {
              for (;;) {
                const claimed = await client.query<{ id: string }>(
                  `update ${SCHEMA}.q set status = 1 where id in
                     (select id from ${SCHEMA}.q where status = 0 order by id limit $1 for update skip locked) returning id`,
                  [k],
                );
                if (claimed.rows.length === 0) break;
                await client.query(`update ${SCHEMA}.q set status = 2 where id = any ($1::bigint[])`, [claimed.rows.map((r) => r.id)]);
                done += claimed.rows.length;
              }
            } finally {
              client.release();
            }
          }),
        );
        const rate = done / ((nowMs() - started) / 1000);
        record(rows[i]!, 'rate', rate);
        ctx.log(`ceiling run ${run}: k=${k}: ${Math.round(rate)} jobs/s`);
      }
    }
  } finally {
    await pool.query(`drop schema if exists ${SCHEMA} cascade`).catch(() => {});
    await pool.end();
  }
  return {
    title: 'Ceiling: bare SKIP LOCKED claim + done, no queue library',
    columns: [{ metric: 'rate', heading: 'jobs/s', digits: 0, ratio: false }],
    rows,
    note: 'Two commits per batch (claim, then done). The issue targets JobMaster at ≥ 50% of the 1000-per-transaction row.',
  };
}
