/**
 * Starting the embedded server: when it cannot start, the message gives the real reason in
 * one line and where its log is; when the first creation is killed half-way, nothing
 * half-made stays behind; after a crash, clients starting at once agree on one server.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runJm } from '../support/run-jm.js';
import { isAlive, makeEmbeddedDir, waitFor, type EmbeddedDir } from './embedded-support.js';

/** `jm deploy` creating the database with PGlite (initdb in a child) rather than copying the built template. */
const deployWithoutTemplate = (dir: EmbeddedDir) => runJm(['deploy'], { env: { JM_DATA_DIR: dir.dataDir, JM_EMBEDDED_TEMPLATE: 'off' } });

/** The pid of a live process whose command line contains every one of `parts`. */
function findProcess(parts: string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (parts.every((part) => args.includes(part))) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

describe('starting the embedded server', () => {
  let dir: EmbeddedDir | undefined;
  afterEach(async () => {
    await dir?.dispose();
    dir = undefined;
  });

  it('a database it cannot open is refused with the reason in one line and the log path', async () => {
    dir = makeEmbeddedDir();
    expect((await dir.jm(['deploy'])).code).toBe(0);
    await waitFor(() => dir!.lock() === undefined, 'the idle server to exit');
    writeFileSync(join(dir.dataDir, 'pgdata', 'PG_VERSION'), '99\n');
    const status = await dir.jm(['status']);
    expect(status.code).toBe(1);
    expect(status.stderr.split('\n')).toHaveLength(2); // one line and its newline
    expect(status.stderr).toMatch(new RegExp(`^jm: The embedded database in ${dir.dataDir} failed to start: .*99`));
    expect(status.stderr).toContain(`(details in ${join(dir.dataDir, 'server.log')})`);
    expect(status.stderr).not.toMatch(/\bat (async )?\S+:\d+|file:\/\//);
  });

  it('a creation killed during the first deploy says why, leaves nothing half-made, and the next deploy creates it', async () => {
    dir = makeEmbeddedDir();
    const first = deployWithoutTemplate(dir);
    let creator: number | undefined;
    await waitFor(() => (creator = findProcess(['--create', dir!.dataDir])) !== undefined, 'the creating process', 60_000);
    process.kill(creator!, 'SIGKILL');
    const failed = await first;
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      new RegExp(
        `^jm: The embedded database in ${dir.dataDir} failed to start: creating the database in .*was killed by SIGKILL \\(details in .*server\\.log\\)\\n$`,
      ),
    );
    expect(readdirSync(dir.dataDir).filter((name) => name.startsWith('pgdata'))).toEqual([]);

    const again = await dir.jm(['deploy']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^Created an embedded PostgreSQL database/);
    expect((await dir.jm(['status'])).code).toBe(0);
  });

  it('the server killed during the first deploy: the deploy starts another and succeeds', async () => {
    dir = makeEmbeddedDir();
    const first = deployWithoutTemplate(dir);
    await waitFor(() => findProcess(['--create', dir!.dataDir]) !== undefined, 'the creating process', 60_000);
    const server = dir.lock()!.pid;
    process.kill(server, 'SIGKILL');
    const deployed = await first;
    expect(deployed.stderr).not.toMatch(/internal error/);
    expect(deployed.code).toBe(0);
    expect(dir.lock()?.pid).not.toBe(server);
    expect((await dir.jm(['status'])).code).toBe(0);
  });

  it('the first use copies the database built with the package: no creating process', async () => {
    dir = makeEmbeddedDir();
    const first = dir.jm(['deploy']);
    let creatorSeen = false;
    const watch = setInterval(() => (creatorSeen ||= findProcess(['--create', dir!.dataDir]) !== undefined), 20);
    const deployed = await first;
    clearInterval(watch);
    expect(deployed.code).toBe(0);
    expect(deployed.stderr).toMatch(/^Created an embedded PostgreSQL database/);
    expect(creatorSeen).toBe(false);
  });

  it('after a crash, clients starting at once converge on one live server', async () => {
    dir = makeEmbeddedDir();
    expect((await dir.jm(['deploy'])).code).toBe(0);
    const crashed = dir.lock()!.pid;
    process.kill(crashed, 'SIGKILL');
    await waitFor(() => !isAlive(crashed), 'the server to die');
    const statuses = await Promise.all(Array.from({ length: 6 }, () => dir!.jm(['status'])));
    for (const status of statuses) expect(status).toMatchObject({ code: 0, stderr: '' });
    const serving = dir.lock();
    expect(serving && serving.pid !== crashed && isAlive(serving.pid)).toBe(true);
  });
});
