/**
 * Several processes on one embedded directory: one process serves it, the others connect
 * through its socket, and no committed write is ever lost (PGlite itself has no lock; two
 * instances on one directory lose writes).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JM_ENTRY, REPO_ROOT, cleanEnv } from '../support/run-jm.js';
import { isAlive, makeEmbeddedDir, runNode, waitFor, type EmbeddedDir } from './embedded-support.js';

const ENQUEUE_MANY = 'test/fixtures/embedded/enqueue-many.mjs';

async function countJobs(dir: EmbeddedDir, where = 'true'): Promise<number> {
  const result = await dir.jm(['sql', `select count(*)::int as n from jobmaster.jobs where ${where}`, '--json']);
  expect(result.stderr).toBe('');
  return (JSON.parse(result.stdout) as { rows: Array<{ n: number }> }).rows[0]!.n;
}

describe('several processes on one embedded directory', () => {
  let dir: EmbeddedDir | undefined;
  afterEach(async () => {
    await dir?.dispose();
    dir = undefined;
  });

  it('concurrent writers starting together on a cold directory lose no write', async () => {
    dir = makeEmbeddedDir();
    expect((await dir.jm(['deploy'])).code).toBe(0);
    // Let the server go idle and exit, so the writers race to start a new one.
    await waitFor(() => dir!.lock() === undefined, 'the idle server to exit');

    const writers = await Promise.all(['a', 'b', 'c', 'd'].map((tag) => runNode(ENQUEUE_MANY, [dir!.dataDir, '40', tag])));
    for (const writer of writers) expect(writer).toMatchObject({ code: 0, stdout: '40\n', stderr: '' });
    expect(await countJobs(dir)).toBe(160);
    // Concurrent jm enqueue processes as well.
    const enqueues = await Promise.all(
      Array.from({ length: 6 }, (_, i) => dir!.jm(['enqueue', 'greetings', 'greet', '--arg', `name=cli-${i}`])),
    );
    for (const enqueue of enqueues) expect(enqueue).toMatchObject({ code: 0, stderr: '' });
    expect(await countJobs(dir)).toBe(166);
  });

  it('a command runs while a worker holds the directory, and the worker runs what it enqueued', async () => {
    dir = makeEmbeddedDir();
    expect((await dir.jm(['deploy'])).code).toBe(0);
    const worker = spawn(process.execPath, [JM_ENTRY, 'run', '--poll', '1m'], {
      cwd: REPO_ROOT,
      env: cleanEnv({ JM_DATA_DIR: dir.dataDir }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let workerErr = '';
    worker.stderr.on('data', (d: Buffer) => (workerErr += d.toString()));
    const exited = new Promise<number | null>((resolve) => worker.on('close', resolve));
    try {
      await waitFor(
        async () => (await dir!.jm(['sql', 'select count(*)::int as n from jobmaster.workers'])).stdout.startsWith('n\n1'),
        'the worker to register',
      );
      const server = dir.lock()!.pid;

      const enqueued = await dir.jm(['enqueue', 'greetings', 'greet', '--arg', 'name=while-held']);
      expect(enqueued).toMatchObject({ code: 0, stderr: '' });
      // With a 1-minute poll, only the NOTIFY routed to the worker's LISTEN connection wakes it this soon.
      await waitFor(async () => (await countJobs(dir!, "status = 'complete'")) === 1, 'the worker to run the job', 20_000);
      const status = await dir.jm(['status']);
      expect(status.code).toBe(0);
      expect(dir.lock()!.pid).toBe(server);
    } finally {
      worker.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(workerErr).toContain('greetings.greet complete');
    expect(workerErr).not.toMatch(/error|failed/i);
  });

  it('a lock left by a dead process is taken over and the data survive a killed server', async () => {
    dir = makeEmbeddedDir();
    expect((await dir.jm(['deploy'])).code).toBe(0);
    expect((await dir.jm(['enqueue', 'greetings', 'greet', '--arg', 'name=before-crash'])).code).toBe(0);
    const server = dir.lock()!.pid;
    process.kill(server, 'SIGKILL');
    await waitFor(() => !isAlive(server), 'the server to die');
    expect(dir.lock()?.pid).toBe(server); // the stale lock is still there

    expect((await dir.jm(['enqueue', 'greetings', 'greet', '--arg', 'name=after-crash'])).code).toBe(0);
    expect(dir.lock()?.pid).not.toBe(server);
    expect(await countJobs(dir)).toBe(2);

    // A lock naming a pid that no longer exists, written by hand: taken over too.
    await dir.dispose();
    dir = makeEmbeddedDir();
    const dead = spawn(process.execPath, ['-e', '']);
    const deadPid = dead.pid!;
    await new Promise((resolve) => dead.on('close', resolve));
    const socket = join(dir.dataDir, '.s.PGSQL.5432');
    writeFileSync(
      join(dir.dataDir, 'server.lock'),
      JSON.stringify({ pid: deadPid, host: dir.dataDir, port: 5432, command: 'gone', startedAt: 'x', ready: true }),
    );
    writeFileSync(socket, '');
    const deployed = await dir.jm(['deploy']);
    expect(deployed.code).toBe(0);
    expect(dir.lock()?.pid).not.toBe(deadPid);
  });
});
