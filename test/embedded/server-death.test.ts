/**
 * The process serving an embedded directory is killed (SIGKILL) while `jm` commands run
 * statements on it: each command either repeats, once the replacing server is up, a
 * statement that is safe to repeat (a read, an enqueue that did not commit), or says in one
 * line that the server stopped and nothing was written (exit 1), never an internal error;
 * nothing is left half-written or written twice, and the next command works.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, makeEmbeddedDir, waitFor, type EmbeddedDir } from './embedded-support.js';

const STOPPED =
  /^jm: The embedded database server stopped \(killed or crashed\) while this command's statement ran: the statement was rolled back and nothing of it was written; run the command again \(server log: .*server\.log\)\n$/;

/** Connections open to the directory's server, from /proc/net/unix (the listening socket excluded). */
function connections(dir: EmbeddedDir): number {
  const held = dir.lock();
  if (!held) return 0;
  const path = join(held.host, `.s.PGSQL.${held.port}`);
  const lines = readFileSync('/proc/net/unix', 'utf8').split('\n');
  return Math.max(0, lines.filter((line) => line.endsWith(` ${path}`)).length - 1);
}

/**
 * Waits until the connections of earlier commands are gone from the server's socket, so the
 * next count is the next command's alone (a slow machine can leave a finished command's
 * sockets listed for a moment, and a kill would then come before the statement started).
 */
async function settled(dir: EmbeddedDir): Promise<void> {
  await waitFor(() => connections(dir) === 0, 'the earlier connections to close', 60_000);
}

/** Waits until `count` connections are open to the server, lets the statement start (`afterMs`), then SIGKILLs it. */
async function killServerUnder(dir: EmbeddedDir, count: number, afterMs = 500): Promise<number> {
  await waitFor(() => dir.lock()?.ready === true && connections(dir) >= count, `${count} connections to the server`, 60_000);
  await new Promise((r) => setTimeout(r, afterMs));
  const pid = dir.lock()!.pid;
  process.kill(pid, 'SIGKILL');
  await waitFor(() => !isAlive(pid), 'the server to die');
  return pid;
}

async function sqlRows(dir: EmbeddedDir, statement: string): Promise<Array<Record<string, unknown>>> {
  const result = await dir.jm(['sql', statement, '--json']);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return (JSON.parse(result.stdout) as { rows: Array<Record<string, unknown>> }).rows;
}

describe('the embedded server killed under running commands', () => {
  let dir: EmbeddedDir | undefined;
  afterEach(async () => {
    await dir?.dispose();
    dir = undefined;
  });

  it('a write killed mid-statement says so in one line, exit 1, and leaves nothing behind', async () => {
    dir = makeEmbeddedDir();
    expect((await dir.jm(['deploy'])).code).toBe(0);
    await settled(dir);
    // jm sql holds two connections: its pool's keep-alive and the one running the statement.
    const running = dir.jm(['sql', 'create table half_written as select pg_sleep(8) is null as slept']);
    const killed = await killServerUnder(dir, 2);
    const outcome = await running;
    expect(outcome.stderr).toMatch(STOPPED);
    expect(outcome.code).toBe(1);
    expect(await sqlRows(dir, "select to_regclass('half_written') is null as gone")).toEqual([{ gone: true }]);
    expect(dir.lock()?.pid).not.toBe(killed);
  });

  it('a read killed mid-statement is repeated on a new server, transparently', async () => {
    dir = makeEmbeddedDir();
    expect((await dir.jm(['deploy'])).code).toBe(0);
    await settled(dir);
    const running = dir.jm(['sql', 'select pg_sleep(4) is not null as slept, 42 as answer', '--json']);
    const killed = await killServerUnder(dir, 2);
    const outcome = await running;
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(outcome.stdout).rows).toEqual([{ slept: true, answer: 42 }]);
    expect(dir.lock()?.pid).not.toBe(killed);
  });

  it('an enqueue whose COMMIT is cut by the server dying is found not committed and repeated: one job', async () => {
    dir = makeEmbeddedDir();
    expect((await dir.jm(['deploy'])).code).toBe(0);
    // A deferred trigger makes every COMMIT of a new job take 4 s, so the kill lands inside it.
    const slow = await dir.jm([
      'sql',
      `create function public.slow_commit() returns trigger language plpgsql as $$ begin perform pg_sleep(4); return null; end $$;
       create constraint trigger slow_commit after insert on jobmaster.jobs
         deferrable initially deferred for each row execute function public.slow_commit()`,
    ]);
    expect(slow.code, slow.stderr).toBe(0);
    await settled(dir);
    const running = dir.jm(['enqueue', 'greetings', 'greet', '--arg', 'name=cut-at-commit', '--key', 'cut']);
    const killed = await killServerUnder(dir, 2, 2_000);
    const outcome = await running;
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    const rows = await sqlRows(dir, "select id::text as id from jobmaster.jobs where arguments->>'name' = 'cut-at-commit'");
    expect(rows).toEqual([{ id: outcome.stdout.trim() }]);
    expect(dir.lock()?.pid).not.toBe(killed);
  });

  it('enqueues and a read from several clients all wait for the replacing server and succeed, each job exactly once', async () => {
    dir = makeEmbeddedDir();
    expect((await dir.jm(['deploy'])).code).toBe(0);
    await settled(dir);
    // Each enqueue takes its turn on the single session; a long statement holds them back,
    // so the server dies under all of them. Two hold a key (--on-conflict raise): repeating
    // one that had committed would raise against its own job.
    const blocker = dir.jm(['sql', 'select pg_sleep(8) is not null as slept', '--json']);
    // The blocker first (its keep-alive and its statement's connection), so that the enqueues
    // cannot finish before it holds the session.
    await waitFor(() => connections(dir!) >= 2, 'the blocking read to connect', 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const names = Array.from({ length: 5 }, (_, i) => `crash-${i}`);
    const enqueues = names.map((name, i) =>
      dir!.jm(['enqueue', 'greetings', 'greet', '--arg', `name=${name}`, ...(i < 2 ? ['--key', `key-${i}`] : [])]),
    );
    const killed = await killServerUnder(dir, 2 + 2 * 2);
    const outcomes = await Promise.all(enqueues);
    // The read is repeated once the replacing server is up, however the clients race to start it.
    const read = await blocker;
    expect(read).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(read.stdout).rows).toEqual([{ slept: true }]);
    // Every enqueue was rolled back with the server (none had reached its commit), so each
    // was repeated on the new one: acknowledged, one job each, nothing twice.
    const ids: string[] = [];
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ code: 0, stderr: '' });
      expect(outcome.stdout.trim()).toMatch(/^\d+$/);
      ids.push(outcome.stdout.trim());
    }
    expect(new Set(ids).size).toBe(names.length);
    const rows = await sqlRows(dir, "select id::text as id, arguments->>'name' as name from jobmaster.jobs order by 2");
    expect(rows.map((row) => row.name)).toEqual(names);
    expect(rows.map((row) => row.id).sort()).toEqual([...ids].sort());
    expect(dir.lock()?.pid).not.toBe(killed);
    const after = await dir.jm(['enqueue', 'greetings', 'greet', '--arg', 'name=after']);
    expect(after).toMatchObject({ code: 0, stderr: '' });
    // Seven processes restarting a server on 2 shared cores: 15-25 s alone, over 60 s under load.
  }, 180_000);
});
