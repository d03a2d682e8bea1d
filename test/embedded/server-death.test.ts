/**
 * The process serving an embedded directory is killed (SIGKILL) while `jm` commands run
 * statements on it: each command either repeats a statement that is safe to repeat on a new
 * server, or says in one line that the server stopped and nothing was written (exit 1),
 * never an internal error; nothing is left half-written and the next command works.
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

/** Waits until `count` connections are open to the server, lets the statement start, then SIGKILLs it. */
async function killServerUnder(dir: EmbeddedDir, count: number): Promise<number> {
  await waitFor(() => dir.lock()?.ready === true && connections(dir) >= count, `${count} connections to the server`, 60_000);
  await new Promise((r) => setTimeout(r, 500));
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

  it('enqueues from several clients: each is acknowledged or refused in one line, and exactly the acknowledged ones exist', async () => {
    dir = makeEmbeddedDir();
    expect((await dir.jm(['deploy'])).code).toBe(0);
    await settled(dir);
    // Each enqueue takes its turn on the single session; a long statement holds them back.
    const blocker = dir.jm(['sql', 'select pg_sleep(8)']);
    const names = Array.from({ length: 5 }, (_, i) => `crash-${i}`);
    const enqueues = names.map((name) => dir!.jm(['enqueue', 'greetings', 'greet', '--arg', `name=${name}`]));
    await killServerUnder(dir, 2 + 2 * 2);
    const outcomes = await Promise.all(enqueues);
    // A read: repeated on the new server, or, if the retry itself lost the race for it, refused
    // in one line like a write. Never an internal error.
    const read = await blocker;
    if (read.code !== 0) {
      expect(read.stderr).toMatch(STOPPED);
      expect(read.code).toBe(1);
    }
    const acknowledged: string[] = [];
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.code === 0) {
        expect(outcome.stdout.trim()).toMatch(/^\d+$/);
        acknowledged.push(names[i]!);
      } else {
        expect(outcome.stderr).toMatch(STOPPED);
        expect(outcome.code).toBe(1);
      }
    }
    const rows = await sqlRows(dir, "select arguments->>'name' as name from jobmaster.jobs order by 1");
    expect(rows.map((row) => row.name)).toEqual(acknowledged.sort());
    const after = await dir.jm(['enqueue', 'greetings', 'greet', '--arg', 'name=after']);
    expect(after).toMatchObject({ code: 0, stderr: '' });
  });
});
