import {
  CommitOutcomeUnknownError,
  JobMasterError,
  createPool,
  loadTaskModules,
  loadWorkflows,
  registry,
  resolveSettings,
  trackedTransaction,
  transactionStatus,
  translateConnectionError,
  type Queryable,
  type Settings,
  type ResolvedWorkflow,
  type SettingsInput,
  type TaskDefinition,
} from 'jobmaster';
import { createEmbeddedPool, embeddedServerFirstXid, EmbeddedServerStoppedError, isServerLoss } from '@jobmaster/embedded/client';
import { relative, resolve, sep } from 'node:path';
import { bundledSdkSubstitute } from './bundled-sdk.js';
import type pg from 'pg';

/** A directory as the user would type it: relative when under the working directory. */
function displayPath(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') && !rel.startsWith(sep) ? `${rel}${sep}` : dir;
}

/** What every command may need, opened lazily so `jm --help` touches nothing. */
export class CliContext {
  readonly settings: Settings;
  #pool: pg.Pool | undefined;
  /** Server losses under a write known not to have committed (see {@link CliContext.writeOnce}). */
  readonly #rolledBack = new WeakSet<object>();

  constructor(input: SettingsInput) {
    this.settings = resolveSettings(input);
  }

  get schema(): string {
    return this.settings.schema;
  }

  /**
   * The database pool: the configured server, else the embedded database in
   * `settings.dataDir` (started on the first query; its creation is announced on stderr).
   */
  pool(): pg.Pool {
    if (!this.#pool) {
      // The connection string is checked by createPool, naming where it came from (settings.databaseUrlSource).
      const url = this.settings.databaseUrl;
      this.#pool = url
        ? createPool(url, { applicationName: 'jm', ...(this.settings.databaseUrlSource && { source: this.settings.databaseUrlSource }) })
        : createEmbeddedPool({
            dataDir: this.settings.dataDir,
            applicationName: 'jm',
            onCreated: (dir) =>
              process.stderr.write(`Created an embedded PostgreSQL database in ${displayPath(dir)} (set DATABASE_URL to use a server)\n`),
          });
    }
    return this.#pool;
  }

  /**
   * After the embedded server died: drops the pool (its connections and the address of the
   * dead server) so that the next query waits for the server that replaces it, started by
   * this command or another one (bounded by the pool's start timeout, 60 s).
   */
  reopen(): void {
    const dead = this.#pool;
    this.#pool = undefined;
    // Not awaited: ending connections to a dead server has nothing to wait for.
    void dead?.end().catch(() => {});
  }

  /**
   * Runs a write so that losing the embedded server under it never leaves the command unsure
   * whether it took effect, and repeats it exactly when it did not. The write runs inside a
   * transaction whose id is known (`trackedTransaction`). Lost before its COMMIT was sent, it
   * did not commit. Lost during the COMMIT, the replacing server is asked (`pg_xact_status`):
   * committed, the write's result stands and is returned; aborted, it did not commit. A write
   * that did not commit runs once more, once the replacing server is up; losing that one too
   * is reported in one line. On a configured server the write runs as is (one round trip): a
   * lost connection there is reported, not repeated.
   */
  async writeOnce<T>(work: (db: Queryable) => Promise<T>): Promise<T> {
    if (this.settings.databaseUrl) return await work(this.pool());
    try {
      return await this.#trackedWrite(work);
    } catch (error) {
      if (!this.#rolledBack.has(error as object)) throw error;
    }
    this.reopen();
    return await this.#trackedWrite(work);
  }

  async #trackedWrite<T>(work: (db: Queryable) => Promise<T>): Promise<T> {
    try {
      return await trackedTransaction(this.pool(), work);
    } catch (error) {
      if (error instanceof CommitOutcomeUnknownError && isServerLoss(error.cause)) {
        // If even asking fails, the outcome stays unknown: say so, never "nothing was written".
        const status = await this.#statusAfterLoss(error.xid).catch(() => null);
        if (status === 'committed') return error.value as T;
        if (status !== 'aborted') throw error;
        this.#rolledBack.add(error.cause as object);
        throw error.cause;
      }
      if (this.embeddedServerStopped(error)) this.#rolledBack.add(error as object);
      throw error;
    }
  }

  /**
   * The status of `xid`, a transaction of the server that died, as the replacing server knows
   * it, once it is no longer in progress (at most ~5 s). An id at or above the first one the
   * replacing server hands out was lost with the dead server (and may name a new transaction
   * now): it did not commit.
   */
  async #statusAfterLoss(xid: string): Promise<string | null> {
    this.reopen();
    const firstXid = await embeddedServerFirstXid(this.pool());
    if (firstXid !== undefined && BigInt(xid) >= BigInt(firstXid)) return 'aborted';
    for (let attempt = 0; ; attempt++) {
      const status = await transactionStatus(this.pool(), xid);
      // In progress only while a live server has not yet noticed the lost connection.
      if (status !== 'in progress' || attempt >= 50) return status;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Loads the task modules and returns the validated registry. */
  async definitions(): Promise<TaskDefinition[]> {
    const patterns = this.settings.taskPatterns;
    if (patterns.length === 0) {
      throw new JobMasterError(
        'No task modules configured: pass --tasks "src/tasks/**/*.ts", set JM_TASKS, or add {"tasks": ...} to jobmaster.config.json',
      );
    }
    const substitute = bundledSdkSubstitute();
    await loadTaskModules(patterns, { cwd: this.settings.baseDir, ...(substitute && { substitute }) });
    return registry.definitions();
  }

  /**
   * Loads the task modules, then the workflow files (`--workflows`, JM_WORKFLOWS, "workflows"
   * in the config file) and the workflows declared in code, checked against the registry.
   */
  async workflows(): Promise<ResolvedWorkflow[]> {
    const tasks = await this.definitions();
    return await loadWorkflows(this.settings.workflowPatterns, { cwd: this.settings.workflowBaseDir, tasks });
  }

  /**
   * True when `error` is the embedded database's server going away under a statement of this
   * command (killed, crashed), or gone when the command connected (its socket refuses): what
   * it had not committed is rolled back, and a connection refused sent nothing, so a command
   * that is safe to repeat may run again once the server that replaces it is up (`reopen`).
   */
  embeddedServerStopped(error: unknown): boolean {
    if (this.settings.databaseUrl || this.#pool === undefined) return false;
    const err = error as { code?: unknown; syscall?: unknown } | undefined;
    return isServerLoss(error) || (err?.syscall === 'connect' && (err.code === 'ECONNREFUSED' || err.code === 'ENOENT'));
  }

  /** Turns a connection failure into a one-line user error. */
  translate(error: unknown): unknown {
    const url = this.settings.databaseUrl;
    if (this.embeddedServerStopped(error)) {
      return new EmbeddedServerStoppedError(resolve(this.settings.dataDir), { cause: error });
    }
    return (url && translateConnectionError(error, url)) || error;
  }

  async close(): Promise<void> {
    await this.#pool?.end().catch(() => {});
  }
}
