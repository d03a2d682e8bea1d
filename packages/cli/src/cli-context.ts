import {
  ConfigError,
  JobMasterError,
  createEmbeddedPool,
  createPool,
  loadTaskModules,
  loadWorkflows,
  registry,
  resolveSettings,
  translateConnectionError,
  type Settings,
  type ResolvedWorkflow,
  type SettingsInput,
  type TaskDefinition,
} from 'jobmaster';
import { relative, sep } from 'node:path';
import type pg from 'pg';

/** A directory as the user would type it: relative when under the working directory. */
function displayPath(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') && !rel.startsWith(sep) ? `${rel}${sep}` : dir;
}

/**
 * The connection strings pg reads: a postgres:// or postgresql:// URL, a socket: URL, or a Unix
 * socket directory. pg takes anything else as a path relative to a host named "base".
 */
const CONNECTION_STRING = /^(postgres(ql)?:\/\/|socket:|\/)/i;

/** What every command may need, opened lazily so `jm --help` touches nothing. */
export class CliContext {
  readonly settings: Settings;
  /** Where the connection string came from, in resolveSettings' order, to name it when it is wrong. */
  readonly #databaseUrlSource: string;
  #pool: pg.Pool | undefined;

  constructor(input: SettingsInput) {
    this.settings = resolveSettings(input);
    this.#databaseUrlSource = input.databaseUrl
      ? '--database-url'
      : process.env.DATABASE_URL
        ? 'DATABASE_URL'
        : `"databaseUrl" in ${this.settings.configFile ?? 'the config file'}`;
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
      const url = this.settings.databaseUrl;
      if (url && !CONNECTION_STRING.test(url.trim())) {
        throw new ConfigError(
          `${this.#databaseUrlSource} is not a postgres:// connection string: expected postgres://user:password@host:5432/database`,
        );
      }
      this.#pool = url
        ? createPool(url, { applicationName: 'jm' })
        : createEmbeddedPool({
            dataDir: this.settings.dataDir,
            applicationName: 'jm',
            onCreated: (dir) =>
              process.stderr.write(`Created an embedded PostgreSQL database in ${displayPath(dir)} (set DATABASE_URL to use a server)\n`),
          });
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

  /**
   * Loads the task modules, then the workflow files (`--workflows`, JM_WORKFLOWS, "workflows"
   * in the config file) and the workflows declared in code, checked against the registry.
   */
  async workflows(): Promise<ResolvedWorkflow[]> {
    const tasks = await this.definitions();
    return await loadWorkflows(this.settings.workflowPatterns, { cwd: this.settings.workflowBaseDir, tasks });
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
