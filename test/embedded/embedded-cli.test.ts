/**
 * With no DATABASE_URL, jm works on an embedded PostgreSQL in JM_DATA_DIR: each command below
 * is a separate process, as a newcomer would run them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEmbeddedDir, type EmbeddedDir } from './embedded-support.js';

describe('jm on the embedded database', () => {
  let dir: EmbeddedDir;
  beforeAll(() => {
    dir = makeEmbeddedDir();
  });
  afterAll(async () => {
    await dir?.dispose();
  });

  it('the first command creates the database and says so in one line; later ones do not', async () => {
    const first = await dir.jm(['deploy']);
    expect(first.stderr).toBe(`Created an embedded PostgreSQL database in ${dir.dataDir} (set DATABASE_URL to use a server)\n`);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('applied 0001_schema, 0002_worker');
    const second = await dir.jm(['deploy']);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout).toContain('is up to date');
  });

  it('enqueue, the README insert_job call through jm sql, run --until-empty and status work in sequence', async () => {
    const enqueued = await dir.jm(['enqueue', 'things1', 'foo', '--json', '{"file_path": "/dev/null", "number": 2}']);
    expect(enqueued).toMatchObject({ code: 0, stderr: '' });
    expect(enqueued.stdout.trim()).toMatch(/^\d+$/);

    const called = await dir.jm([
      'sql',
      `call jobmaster.insert_job('things1', 'foo', 10, '{"file_path": "/dev/null", "number": 3}'::json)`,
    ]);
    expect(called).toMatchObject({ code: 0, stderr: '' });
    expect(called.stdout).toMatch(/^job_id\n\d+\n\(1 row\)\n$/);

    const listed = await dir.jm(['sql', 'select task_key, priority, status from jobmaster.jobs order by id', '--json']);
    expect(JSON.parse(listed.stdout)).toMatchObject({
      command: 'SELECT',
      rows: [
        { task_key: 'foo', priority: 0, status: 'waiting' },
        { task_key: 'foo', priority: 10, status: 'waiting' },
      ],
    });

    const ran = await dir.jm(['run', '--until-empty', '--json']);
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ completed: 2, failed: 0 });

    const status = await dir.jm(['status', '--json']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('things1.foo');
    const counts = await dir.jm(['sql', "select count(*)::int as n from jobmaster.jobs where status = 'complete'"]);
    expect(counts.stdout).toMatch(/^n\n2\n/);
  });

  it('tasks works without touching the database, and database errors print one line', async () => {
    const tasks = await dir.jm(['tasks']);
    expect(tasks.code).toBe(0);
    expect(tasks.stdout).toContain('things1.foo');

    const failed = await dir.jm(['sql', 'select 1/0']);
    expect(failed).toEqual({ code: 1, stdout: '', stderr: 'jm: database error: division by zero\n' });
    const rejected = await dir.jm([
      'sql',
      `call jobmaster.insert_job('things1', 'foo', 0, '{"file_path": "/dev/null", "number": 7}'::json)`,
    ]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr.trim().split('\n')).toHaveLength(1);
    expect(rejected.stderr).toContain('number');
  });
});
