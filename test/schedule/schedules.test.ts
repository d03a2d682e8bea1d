// Schedules in code and at run time: deploy syncs code schedules without touching run-time
// ones, `jm schedule` manages them, and firing gives one job per tick however many callers race.
import { listSchedules } from 'jobmaster';
import { fireDueSchedules } from '../../packages/jobmaster/src/schedule/fire-schedules.js';
import { beforeAll, describe, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';
import pg from 'pg';

const db = useTestDatabase('sched');
const V1 = ['--tasks', 'test/fixtures/schedule/code-v1/*.ts', '--tasks', 'test/fixtures/schedule/stamp.ts'];
const V2 = ['--tasks', 'test/fixtures/schedule/code-v2/*.ts', '--tasks', 'test/fixtures/schedule/stamp.ts'];
const jm = (args: string[], tasks = V1) => runJm([...args, ...dbFlags(db), ...tasks]);
const names = async () => (await listSchedules(db.pool, db.schema)).map((s) => `${s.name}:${s.source}:${s.cron}`);

beforeAll(async () => {
  expect((await jm(['deploy'])).code).toBe(0);
});

describe('code schedules and jm deploy', () => {
  test('deploy stores code schedules; a later deploy makes them equal the code and keeps run-time ones', async () => {
    expect(await names()).toEqual(['clock.tick#2:code:*/30 * * * * *', 'morning:code:0 0 6 * * *']);
    const added = await jm(['schedule', 'add', 'adhoc', 'stamp.record', '--cron', '0 0 * * *', '--json', '{"n": 5}']);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^Schedule adhoc \(stamp\.record, "0 0 \* \* \*"\) added; next tick \d{4}-\d\d-\d\d 00:00:00Z\.$/m);
    expect((await jm(['schedule', 'pause', 'morning'])).code).toBe(0);

    const v2 = await jm(['deploy'], V2);
    expect(v2.code).toBe(0);
    expect(v2.stdout).toContain('Schedules in code: 2 (1 added, 1 changed, 1 removed)');
    expect(await names()).toEqual(['adhoc:runtime:0 0 * * *', 'evening:code:0 0 19 * * * 2026-2030', 'morning:code:0 0 7 * * *']);
    const morning = (await listSchedules(db.pool, db.schema)).find((s) => s.name === 'morning')!;
    expect(morning.paused).toBe(true); // a pause survives deploys
    expect(morning.timeZone).toBe('Europe/Paris');

    const again = await jm(['deploy'], V2);
    expect(again.stdout).toContain('Schedules in code unchanged: 2.');
  });

  test('a schedule with an invalid expression fails registration, naming the task, the expression and the reason', async () => {
    const result = await jm(['deploy'], ['--tasks', 'test/fixtures/schedule/bad-cron/*.ts']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /clock\.tick: invalid schedule: Cron expression "0 0 25 \* \* \*" is invalid: hour 25 is out of range 0-23/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('a schedule that can never fire again fails the deploy and changes nothing, yet its task loads', async () => {
    const before = await names();
    const ended = ['--tasks', 'test/fixtures/schedule/ended-cron/*.ts'];
    const result = await jm(['deploy'], ended);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(
      'jm: Schedule "clock.tick" of clock.tick: Cron expression "0 0 0 1 1 ? 1999" has no future tick: the schedule would never fire\n',
    );
    expect(await names()).toEqual(before);
    // The task itself still loads: a schedule that has ended must not stop its workers.
    expect((await runJm(['tasks', ...ended])).code).toBe(0);
  });

  test('a schedule whose arguments break the rules fails the deploy and changes nothing', async () => {
    const before = await names();
    const result = await jm(['deploy'], ['--tasks', 'test/fixtures/schedule/bad-args/*.ts']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('jm: Schedule "wrong": clock.tick: parameter "n" must be an integer, got "seven"');
    expect(await names()).toEqual(before);
  });

  test('remove refuses code schedules; a code schedule cannot take a run-time name', async () => {
    const remove = await jm(['schedule', 'remove', 'evening'], V2);
    expect(remove.code).toBe(1);
    expect(remove.stderr).toMatch(/Schedule "evening" is declared in code: remove it from its task's schedule option/);
    const clash = await jm(['schedule', 'add', 'evening', 'stamp.record', '--cron', '* * * * *'], V2);
    expect(clash.stderr).toMatch(/Schedule "evening" is declared in code: choose another name/);
  });
});

describe('jm schedule', () => {
  test('add validates arguments, expression, zone and catch-up like any enqueue; list shows last and next ticks', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--cron', '* * * * *', '--json', '{"n": "x"}'], /stamp\.record: parameter "n" must be an integer, got "x"/],
      [['--cron', '* * * * *', '--json', '{"m": 1}'], /stamp\.record: unknown parameter "m"/],
      [['--cron', '* * * * *', '--json', '{oops'], /--json is not valid JSON/],
      [['--cron', '0 0 32 * *'], /^jm: Cron expression "0 0 32 \* \*" is invalid: day of month 32 is out of range 1-31$/m],
      [['--cron', '0 0 0 1 1 ? 1999'], /^jm: Cron expression "0 0 0 1 1 \? 1999" has no future tick: the schedule would never fire$/m],
      [['--cron', '* * * * *', '--time-zone', 'Atlantis/Capital'], /^jm: unknown time zone "Atlantis\/Capital" \(use an IANA name/],
      [['--cron', '* * * * *', '--catch-up', 'backfill:x'], /latest, skip or backfill:N/],
    ];
    for (const [flags, message] of cases) {
      const result = await jm(['schedule', 'add', 'bad', 'stamp.record', ...flags], V2);
      expect(result.code, flags.join(' ')).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n'), flags.join(' ')).toHaveLength(1);
    }
    const unknown = await jm(['schedule', 'add', 'bad', 'nope.none', '--cron', '* * * * *'], V2);
    expect(unknown.stderr).toMatch(/No task nope\.none is registered/);
    const badName = await jm(['schedule', 'add', 'no spaces', 'stamp.record', '--cron', '* * * * *'], V2);
    expect(badName.stderr).toMatch(/Schedule name "no spaces" must be/);
    expect((await names()).filter((n) => n.startsWith('bad') || n.startsWith('no'))).toEqual([]);

    const list = await jm(['schedule', 'list'], V2);
    expect(list.stdout.split('\n')[0]).toMatch(/^SCHEDULE +TASK +CRON +SOURCE +STATE +CATCH-UP +LAST TICK +NEXT TICK +LAST RESULT$/);
    expect(list.stdout).toMatch(/^morning +clock\.tick +0 0 7 \* \* \* \(Europe\/Paris\) +code +paused/m);
    const json = JSON.parse((await jm(['schedule', 'list', '--json'], V2)).stdout);
    expect(json.map((s: { name: string }) => s.name)).toEqual(['adhoc', 'evening', 'morning']);
    expect(json[1]).toMatchObject({ source: 'code', task: 'clock.tick', args: { n: 2 }, catchUp: 'skip', paused: false });
  });

  test('pause, resume and remove', async () => {
    expect((await jm(['schedule', 'add', 'temp', 'stamp.record', '--cron', '*/5 * * * * *'], V2)).code).toBe(0);
    expect((await jm(['schedule', 'pause', 'temp'], V2)).stdout.trim()).toBe('Schedule temp (stamp.record, "*/5 * * * * *") paused.');
    const resumed = await jm(['schedule', 'resume', 'temp', '--json'], V2);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ name: 'temp', paused: false });
    expect(new Date(JSON.parse(resumed.stdout).nextFireAt).getUTCSeconds() % 5).toBe(0);
    expect((await jm(['schedule', 'remove', 'temp'], V2)).code).toBe(0);
    const missing = await jm(['schedule', 'pause', 'temp'], V2);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('jm: No schedule named "temp" (run "jm schedule list" to see them)');
  });
});

describe('firing', () => {
  async function backdate(name: string, seconds: number): Promise<void> {
    // As if every worker had been down: the stored next tick lies `seconds` in the past.
    await db.pool.query(
      `update "${db.schema}".schedules set next_fire_at = date_trunc('second', now()) - make_interval(secs => $2), paused = false where name = $1`,
      [name, seconds],
    );
  }
  async function jobsOf(name: string): Promise<string[]> {
    const { rows } = await db.pool.query<{ tick: Date }>(
      `select schedule_tick as tick from "${db.schema}".jobs where schedule_name = $1 order by schedule_tick`,
      [name],
    );
    return rows.map((r) => r.tick.toISOString());
  }

  test('eight concurrent firers: each due tick gets exactly one job', async () => {
    await jm(['schedule', 'add', 'raced', 'stamp.record', '--cron', '* * * * * *', '--catch-up', 'backfill:20'], V2);
    await backdate('raced', 30);
    const pools = Array.from({ length: 8 }, () => new pg.Pool({ connectionString: db.url, max: 2 }));
    try {
      const results = await Promise.all(pools.map((p) => fireDueSchedules(p, db.schema)));
      const fired = results.flatMap((r) => r.fired.filter((f) => f.schedule === 'raced'));
      const ticks = await jobsOf('raced');
      // The 20 ticks caught up, and any tick that came due while the firers ran (one a second):
      // each with one job, fired by one firer.
      expect(ticks.length).toBeGreaterThanOrEqual(20);
      expect(new Set(ticks).size).toBe(ticks.length);
      expect(fired.map((f) => f.tick.toISOString()).sort()).toEqual(ticks);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
    await jm(['schedule', 'remove', 'raced'], V2);
  });

  test.each([
    ['latest', 1],
    ['skip', 0],
    ['backfill:4', 4],
  ])('after 30 missed ticks, catch-up %s inserts %i jobs', async (policy, expected) => {
    const name = `missed-${policy.replace(':', '-')}`;
    await jm(['schedule', 'add', name, 'stamp.record', '--cron', '* * * * * *', '--catch-up', policy], V2);
    await backdate(name, 30);
    const result = await fireDueSchedules(db.pool, db.schema);
    expect(result.fired.filter((f) => f.schedule === name)).toHaveLength(expected);
    expect(await jobsOf(name)).toHaveLength(expected);
    const [schedule] = (await listSchedules(db.pool, db.schema)).filter((s) => s.name === name);
    // The next tick is in the future: no second round of catch-up.
    expect(schedule!.nextFireAt!.getTime()).toBeGreaterThan(Date.now() - 1000);
    await jm(['schedule', 'remove', name], V2);
  });

  test('a schedule whose task disappeared records the error and moves on, without a storm', async () => {
    await jm(['schedule', 'add', 'orphan', 'stamp.record', '--cron', '* * * * * *'], V2);
    await db.pool.query(`delete from "${db.schema}".tasks where type_key = 'stamp' and task_key = 'record'`);
    await backdate('orphan', 10);
    const result = await fireDueSchedules(db.pool, db.schema);
    const orphan = result.fired.filter((f) => f.schedule === 'orphan');
    expect(orphan).toHaveLength(1);
    expect(orphan[0]!.jobId).toBeNull();
    expect(orphan[0]!.error).toMatch(/No task stamp\.record is registered/);
    const [schedule] = (await listSchedules(db.pool, db.schema)).filter((s) => s.name === 'orphan');
    expect(schedule!.lastError).toMatch(/No task stamp\.record/);
    expect((await jm(['schedule', 'list'], V2)).stdout).toMatch(/^orphan .* error /m);
  });
});

describe('jm status', () => {
  test('shows the schedules with their last and next ticks, as text and JSON', async () => {
    const text = await jm(['status'], V2);
    expect(text.code).toBe(0);
    const section = text.stdout.slice(text.stdout.indexOf('Schedules ('));
    expect(section).toMatch(/^Schedules \(\d+\)\nSCHEDULE +TASK +CRON +SOURCE +STATE +CATCH-UP +LAST TICK +NEXT TICK +LAST RESULT\n/);
    expect(section).toMatch(/^evening +clock\.tick +0 0 19 \* \* \* 2026-2030 +code +active +skip +- +\d{4}-\d\d-\d\d 19:00:00Z +-$/m);
    const json = JSON.parse((await jm(['status', '--json'], V2)).stdout);
    expect(json.schedules.map((s: { name: string }) => s.name)).toContain('evening');
    const filtered = JSON.parse((await jm(['status', '--json', '--task', 'clock.tick'], V2)).stdout);
    expect(filtered.schedules.map((s: { name: string }) => s.name)).toEqual(['evening', 'morning']);
  });
});
