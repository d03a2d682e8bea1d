// Schedules and run-at with real `jm run` processes: exactly one job per tick across four
// workers, the catch-up count after every worker was down, `--until-empty` firing due
// schedules, and an idle worker waking on time for a run-at job.
import { JobMaster, addSchedule as addScheduleRow, parseCatchUp } from 'jobmaster';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';
import { NOTHING_ELSE_WAKES, startWorker, stopWorkers, waitFor, waitForWorkers } from '../worker/worker-harness.js';

const db = useTestDatabase('wsched');
const TASKS = ['--tasks', 'test/fixtures/schedule/stamp.ts'];
let jm: JobMaster;

beforeAll(async () => {
  expect((await runJm(['deploy', ...dbFlags(db), ...TASKS])).code).toBe(0);
  jm = new JobMaster({ pool: db.pool, schema: db.schema });
});
afterAll(async () => jm.close());

/**
 * A 7-field expression firing every second for `count` seconds from `start` (UTC), and never
 * again: its year field holds only this year, so the window is all the ticks there are.
 */
function windowExpression(start: Date, count: number): string {
  const s = start.getUTCSeconds();
  return `${s}-${s + count - 1} ${start.getUTCMinutes()} ${start.getUTCHours()} ${start.getUTCDate()} ${start.getUTCMonth() + 1} ? ${start.getUTCFullYear()}`;
}

/** The first whole second at least `leadMs` ahead whose window of `count` seconds stays inside one minute. */
function windowStart(leadMs: number, count: number): Date {
  let at = Math.ceil((Date.now() + leadMs) / 1000) * 1000;
  while (new Date(at).getUTCSeconds() + count > 60) at += 1000;
  return new Date(at);
}

/** Adds a run-time schedule of stamp.record (through the SDK: instant, unlike a spawned jm). */
async function addSchedule(name: string, cron: string, catchUp = 'latest'): Promise<void> {
  await addScheduleRow(db.pool, db.schema, {
    name,
    typeKey: 'stamp',
    taskKey: 'record',
    args: { n: 1 },
    cron,
    catchUp: parseCatchUp(catchUp),
  });
}

async function ticksOf(name: string): Promise<Array<{ tick: Date; status: string; created: Date }>> {
  const { rows } = await db.pool.query(
    `select schedule_tick as tick, status, created_at as created from "${db.schema}".jobs where schedule_name = $1 order by schedule_tick`,
    [name],
  );
  return rows;
}

describe('four long-running workers', () => {
  test('a 1-second schedule over 12 ticks inserts exactly one job per tick', async () => {
    const count = 12;
    const start = windowStart(8_000, count);
    await addSchedule('window', windowExpression(start, count));
    const workers = [1, 2, 3, 4].map((i) => startWorker(db, [...TASKS, '--node', `node${i}`]));
    try {
      await waitForWorkers(db, 4);
      await waitFor(
        'every tick of the window to have a completed job',
        async () => {
          const ticks = await ticksOf('window');
          return ticks.length === count && ticks.every((t) => t.status === 'complete');
        },
        count * 1000 + 30_000,
        100,
      );
      // Give any duplicate a chance to appear before counting.
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      await stopWorkers(workers);
    }
    const ticks = await ticksOf('window');
    expect(ticks.map((t) => t.tick.getTime())).toEqual(Array.from({ length: count }, (_, i) => start.getTime() + i * 1000));
    const lateness = ticks.map((t) => t.created.getTime() - t.tick.getTime());
    console.log(
      `schedule firing lateness over ${count} ticks with 4 workers: max ${Math.max(...lateness)} ms, median ${lateness.sort((a, b) => a - b)[count >> 1]} ms`,
    );
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0);
  });
});

describe('every worker down across 3 ticks, then started', () => {
  test('catch-up latest inserts 1 job (the latest tick), skip none, backfill:2 the last two', async () => {
    const count = 3;
    const start = windowStart(3_000, count);
    const cron = windowExpression(start, count);
    await addSchedule('down-latest', cron, 'latest');
    await addSchedule('down-skip', cron, 'skip');
    await addSchedule('down-backfill', cron, 'backfill:2');
    // No worker runs while the three ticks pass.
    await waitFor('the window to pass', () => Date.now() > start.getTime() + count * 1000 + 200, 20_000);

    const workers = [1, 2].map((i) => startWorker(db, [...TASKS, '--node', `late${i}`]));
    try {
      await waitForWorkers(db, 2);
      await waitFor('the three schedules to have fired', async () => {
        const { rows } = await db.pool.query(
          `select count(*)::int as n from "${db.schema}".schedules where name in ('down-latest', 'down-skip', 'down-backfill') and next_fire_at is null`,
        );
        return rows[0].n === 3;
      });
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      await stopWorkers(workers);
    }
    const seconds = async (name: string) => (await ticksOf(name)).map((t) => (t.tick.getTime() - start.getTime()) / 1000);
    expect(await seconds('down-latest')).toEqual([2]);
    expect(await seconds('down-skip')).toEqual([]);
    expect(await seconds('down-backfill')).toEqual([1, 2]);
  }, 90_000);
});

describe('jm run --until-empty (a worker started by the system cron)', () => {
  test('fires due schedules before draining, and runs their jobs', async () => {
    const start = windowStart(2_000, 2);
    await addSchedule('cron-drain', windowExpression(start, 2), 'backfill:5');
    await waitFor('the two ticks to pass', () => Date.now() > start.getTime() + 2_200, 20_000);
    const result = await runJm(['run', '--until-empty', '--json', ...dbFlags(db), ...TASKS]);
    expect(result.code, result.stderr).toBe(0);
    const ticks = await ticksOf('cron-drain');
    expect(ticks.map((t) => t.status)).toEqual(['complete', 'complete']);
  });
});

describe('run-at on an idle worker', () => {
  test('a job never starts before its run-at, and an idle worker wakes for it rather than waiting for its poll', async () => {
    // How close to its run-at a job starts is a latency figure, printed here, not an assertion:
    // under load a timer fires late.
    const worker = startWorker(db, [...TASKS, '--node', 'idle', ...NOTHING_ELSE_WAKES]);
    const lateness: number[] = [];
    try {
      await waitForWorkers(db, 1);
      // A job due now proves the worker listens and claims, so it is idle from here on.
      const warmUp = await jm.enqueue('stamp.record', { n: 0 });
      await waitFor('the warm-up job to complete', async () => (await jobRow(warmUp)).status === 'complete');
      for (const delayMs of [1_500, 2_500, 1_200]) {
        const runAt = new Date(Date.now() + delayMs);
        const id = await jm.enqueue('stamp.record', { n: delayMs }, { runAt });
        const row = await waitFor(
          'the run-at job to complete, long before the poll',
          async () => {
            const job = await jobRow(id);
            return job.status === 'complete' ? job : null;
          },
          delayMs + 30_000,
          20,
        );
        const late = row.started_at.getTime() - row.run_at.getTime();
        lateness.push(late);
        expect(late).toBeGreaterThanOrEqual(0);
      }
    } finally {
      await stopWorkers([worker]);
    }
    console.log(`run-at lateness on an idle worker (poll 1 h, heartbeat 30 min): ${lateness.join(', ')} ms`);
  });
});

async function jobRow(id: string): Promise<{ status: string; run_at: Date; started_at: Date }> {
  const { rows } = await db.pool.query(`select status, run_at, started_at from "${db.schema}".jobs where id = $1`, [id]);
  return rows[0];
}
