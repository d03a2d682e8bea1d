import {
  JobMasterError,
  createPool,
  loadTaskModules,
  registry,
  resolveSettings,
  translateConnectionError,
  type Settings,
  type SettingsInput,
  type TaskDefinition,
} from 'jobmaster';
import type pg from 'pg';

/** What every command may need, opened lazily so `jm --help` touches nothing. */
export class CliContext {
  readonly settings: Settings;
  #pool: pg.Pool | undefined;

  constructor(input: SettingsInput) {
    this.settings = resolveSettings(input);
  }

  get schema(): string {
    return this.settings.schema;
  }

  /** The database pool; fails with a clear message when no database is configured. */
  pool(): pg.Pool {
    if (!this.#pool) {
      const url = this.settings.databaseUrl;
      if (!url) {
        throw new JobMasterError('No database configured: set DATABASE_URL or pass --database-url postgres://user@host:5432/db');
      }
      this.#pool = createPool(url, { applicationName: 'jm' });
    }
    return this.#pool;
  }

  /** Loads the task modules and returns the validated registry. */
  async definitions(): Promise<TaskDefinition[]> {
    const patterns = this.settings.taskPatterns;
    if (patterns.length === 0) {
      throw new JobMasterError(
        'No task modules configured: pass --tasks "src/tasks/**/*.ts", set JM_TASKS, or add {"tasks": ...} to jobmaster.config.json',
      );
    }
    await loadTaskModules(patterns, { cwd: this.settings.baseDir });
    return registry.definitions();
  }

  /** Turns a connection failure into a one-line user error. */
  translate(error: unknown): unknown {
    const url = this.settings.databaseUrl;
    return (url && translateConnectionError(error, url)) || error;
  }

  async close(): Promise<void> {
    await this.#pool?.end().catch(() => {});
  }
}
