/**
 * Real `jm run` processes against a test file's schema: spawn them, wait for conditions
 * with deadlines, read what they did.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enqueueJobs } from 'jobmaster';
import type pg from 'pg';
import { expect } from 'vitest';
import { JM_ENTRY, REPO_ROOT, cleanEnv, dbFlags, runJm, type JmResult } from '../support/run-jm.js';
import type { TestDatabase } from '../support/test-database.js';

export const WORKER_FIXTURES = ['--tasks', 'test/fixtures/worker/*.ts'];
/**
 * Worker flags that put the poll and the heartbeat (which also wakes an idle worker) half an
 * hour away or more: a job an idle worker starts within a test's wait was started by what the
 * test is about (a notification, a run-at timer), not by a poll.
 */
export const NOTHING_ELSE_WAKES = ['--poll', '1h', '--lease', '2h', '--heartbeat', '30m'];
export const EXAMPLE_TASKS = ['--tasks', 'examples/things1.ts', '--tasks', 'examples/nice_tasks.ts', '--tasks', 'examples/reports.ts'];

/** A running `jm run` child process. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Everything written so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves when the process has exited. */
  exited: Promise<JmResult & { signal: NodeJS.Signals | null }>;
}

/** Spawns `jm run <args>` on the test schema. */
export function startWorker(db: TestDatabase, args: string[], env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, [JM_ENTRY, 'run', ...dbFlags(db), ...args], {
    cwd: REPO_ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<JmResult & { signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, output: () => ({ stdout, stderr }), exited };
}

/** `jm deploy` of the given task modules into the test schema. */
export async function deployTasks(db: TestDatabase, tasks: string[]): Promise<void> {
  const result = await runJm(['deploy', ...dbFlags(db), ...tasks]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

/** `jm run --until-empty --json` to completion; returns the exit code, the parsed summary and stderr. */
export async function drain(
  db: TestDatabase,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; summary: Record<string, unknown>; stderr: string }> {
  const result = await runJm(['run', '--until-empty', '--json', ...dbFlags(db), ...args], { env });
  let summary: Record<string, unknown> = {};
  try {
    summary = JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`jm run printed no JSON summary (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { code: result.code, summary, stderr: result.stderr };
}

/** Polls `check` until it returns a truthy value, or fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 20_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Enqueues `total` counting.count jobs (n = 0..total-1, each appending "n pid" to `file`)
 * in batches of 500, then waits until all of them are complete.
 */
export async function runCountJobs(db: TestDatabase, file: string, total: number, timeoutMs = 60_000): Promise<void> {
  for (let i = 0; i < total; i += 500) {
    const batch = Array.from({ length: Math.min(500, total - i) }, (_, k) => ({
      typeKey: 'counting',
      taskKey: 'count',
      args: { file, n: i + k },
    }));
    await enqueueJobs(db.pool, db.schema, batch);
  }
  await waitFor(
    'every job to complete',
    async () => {
      const { rows } = await db.pool.query(
        `select count(*)::int as n from "${db.schema}".jobs where task_key = 'count' and status = 'complete'`,
      );
      return rows[0].n === total;
    },
    timeoutMs,
  );
}

/** Waits until at least `n` workers have registered in the test schema. */
export async function waitForWorkers(db: TestDatabase, n: number, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `${n} workers to register`,
    async () => {
      const { rows } = await db.pool.query(`select count(*)::int as n from "${db.schema}".workers`);
      return rows[0].n >= n;
    },
    timeoutMs,
  );
}

/** Stops the workers with SIGTERM; each must exit 0 (its stderr names why not). */
export async function stopWorkers(workers: WorkerProcess[]): Promise<void> {
  for (const w of workers) w.child.kill('SIGTERM');
  for (const w of workers) {
    const exit = await w.exited;
    expect(exit.code, exit.stderr).toBe(0);
  }
}

/** The counting.count lines in `file` say every job 0..total-1 ran exactly once, in more than one process. */
export function expectEachRanOnceAcrossProcesses(file: string, total: number): void {
  const executions = lines(file).map((l) => Number(l.split(' ')[0]));
  expect(executions).toHaveLength(total);
  expect(new Set(executions).size).toBe(total);
  expect(new Set(lines(file).map((l) => l.split(' ')[1])).size).toBeGreaterThan(1);
}

/** A fresh temporary directory. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'jm-worker-'));
}

/** The lines of a file, or none when it does not exist yet. */
export function lines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

/** One job's row. */
export async function job(db: TestDatabase, id: string | number): Promise<Record<string, any>> {
  const { rows } = await db.pool.query(`select * from "${db.schema}".jobs where id = $1`, [id]);
  return rows[0]!;
}

/** A job's history, oldest first. */
export async function history(
  db: TestDatabase,
  id: string | number,
): Promise<Array<{ status: string; node: string | null; pid: number | null; message: string | null; at: Date }>> {
  const { rows } = await db.pool.query(`select status, node, pid, message, at from "${db.schema}".job_history($1)`, [id]);
  return rows;
}

/** Runs SQL on the test schema (`S` in the text stands for the quoted schema). */
export async function sql<R extends Record<string, any> = Record<string, any>>(
  db: TestDatabase,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const { rows } = await db.pool.query(text.replace(/\bS\./g, `"${db.schema}".`), values);
  return rows as R[];
}

/**
 * Rows of these tables (jobs by default) the connection has read and not yet reported to the
 * statistics collector: rows read by sequential scans, and live rows fetched through indexes
 * (whether a filter then keeps them or not). The difference of two readings in one transaction
 * is what the statements between them read: a measure of work that, unlike a timing, load
 * cannot change. Dead index entries walked before vacuum removes them do not count.
 */
export async function rowsRead(client: pg.ClientBase, schema: string, tables: string[] = ['jobs']): Promise<number> {
  // A table's counters hold its sequential-scan and bitmap reads; a row fetched through an
  // index is counted on the index.
  const { rows } = await client.query(
    `with watched as (select oid from pg_class where relnamespace = $1::regnamespace and relname = any ($2::text[]))
     select (select coalesce(sum(pg_stat_get_xact_tuples_returned(oid) + pg_stat_get_xact_tuples_fetched(oid)), 0) from watched)
          + (select coalesce(sum(pg_stat_get_xact_tuples_fetched(indexrelid)), 0) from pg_index where indrelid in (select oid from watched)) as n`,
    [schema, tables],
  );
  return Number(rows[0].n);
}
