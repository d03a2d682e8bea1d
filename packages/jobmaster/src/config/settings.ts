import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { DEFAULT_SCHEMA, validateSchemaName } from '../db/schema-name.js';

/** The config file looked for in the working directory and its parents. */
export const CONFIG_FILE_NAME = 'jobmaster.config.json';

/** Settings as given on the command line (all optional). */
export interface SettingsInput {
  databaseUrl?: string;
  schema?: string;
  tasks?: string[];
  /** Glob patterns of workflow files (YAML or JSON). */
  workflows?: string[];
  config?: string;
}

/** Settings after flags, environment and config file are combined. */
export interface Settings {
  /** Connection string, or undefined when none is configured. */
  databaseUrl: string | undefined;
  /** Where `databaseUrl` came from, to name it when it is wrong: `--database-url`, `DATABASE_URL` or the config file's `"databaseUrl"`. */
  databaseUrlSource: string | undefined;
  schema: string;
  /** Glob patterns of task modules; empty when none are configured. */
  taskPatterns: string[];
  /**
   * Glob patterns of workflow files (YAML or JSON); empty when none are configured. The config
   * file's `workflows` apply only when its `tasks` do (not with --tasks or JM_TASKS).
   */
  workflowPatterns: string[];
  /** Directory workflow patterns are relative to (the config file's, else the working directory). */
  workflowBaseDir: string;
  /** Directory task patterns are relative to (the config file's, else the working directory). */
  baseDir: string;
  /** The config file used, if any. */
  configFile: string | undefined;
  /**
   * Where the embedded database lives when no connection string is configured.
   * (Default: $JM_DATA_DIR, else `.jm` beside jobmaster.config.json, else `.jm` in the working directory)
   */
  dataDir: string;
}

interface ConfigFile {
  tasks?: string | string[];
  workflows?: string | string[];
  schema?: string;
  databaseUrl?: string;
}

function findConfigFile(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function readConfigFile(path: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${path} must hold a JSON object such as {"tasks": "src/tasks/**/*.ts"}`);
  }
  const config = parsed as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (!['tasks', 'workflows', 'schema', 'databaseUrl', '$schema'].includes(key)) {
      throw new ConfigError(`${path}: unknown setting "${key}" (known: tasks, workflows, schema, databaseUrl)`);
    }
  }
  for (const key of ['tasks', 'workflows'] as const) {
    const globs = config[key];
    if (globs !== undefined && typeof globs !== 'string' && !(Array.isArray(globs) && globs.every((t) => typeof t === 'string'))) {
      throw new ConfigError(`${path}: "${key}" must be a glob or a list of globs`);
    }
  }
  for (const key of ['schema', 'databaseUrl'] as const) {
    if (config[key] !== undefined && typeof config[key] !== 'string') throw new ConfigError(`${path}: "${key}" must be a string`);
  }
  return config as ConfigFile;
}

/** A connection string and where it came from. */
export interface DatabaseUrlSetting {
  url: string;
  /** How to name it in a message, e.g. `DATABASE_URL`. */
  source: string;
}

/**
 * The connection string by the one precedence every door uses: the value given in code or on the
 * command line (named `givenAs`: `--database-url`, `databaseUrl`), then `DATABASE_URL`, then the
 * config file's `"databaseUrl"`. Empty values count as absent. Undefined when none is set.
 */
export function resolveDatabaseUrl(
  given: string | undefined,
  givenAs: string,
  env: NodeJS.ProcessEnv = process.env,
  file: { path: string | undefined; databaseUrl: string | undefined } = { path: undefined, databaseUrl: undefined },
): DatabaseUrlSetting | undefined {
  if (given) return { url: given, source: givenAs };
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, source: 'DATABASE_URL' };
  if (file.databaseUrl) return { url: file.databaseUrl, source: `"databaseUrl" in ${file.path ?? 'the config file'}` };
  return undefined;
}

const splitPatterns = (value: string): string[] =>
  value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);

/**
 * Combines settings: command-line flags first, then the environment (`DATABASE_URL`,
 * `JM_SCHEMA`, `JM_TASKS`, `JM_WORKFLOWS`), then `jobmaster.config.json`, then defaults.
 */
export function resolveSettings(input: SettingsInput, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Settings {
  const configFile = input.config ? resolve(cwd, input.config) : findConfigFile(cwd);
  if (input.config && !existsSync(configFile!)) throw new ConfigError(`Config file not found: ${configFile}`);
  const file = configFile ? readConfigFile(configFile) : {};
  const fromFlags = input.tasks?.flatMap(splitPatterns) ?? [];
  const fromEnv = env.JM_TASKS ? splitPatterns(env.JM_TASKS) : [];
  const fromFile = file.tasks === undefined ? [] : typeof file.tasks === 'string' ? [file.tasks] : file.tasks;
  const taskPatterns = fromFlags.length ? fromFlags : fromEnv.length ? fromEnv : fromFile;
  // Patterns from the config file are relative to it; the others to the working directory.
  const baseDir = !fromFlags.length && !fromEnv.length && configFile ? dirname(configFile) : cwd;
  const workflowFlags = input.workflows?.flatMap(splitPatterns) ?? [];
  const workflowEnv = env.JM_WORKFLOWS ? splitPatterns(env.JM_WORKFLOWS) : [];
  const workflowFile = file.workflows === undefined ? [] : typeof file.workflows === 'string' ? [file.workflows] : file.workflows;
  // The config file's workflows name the config file's tasks: with tasks from elsewhere
  // (--tasks, JM_TASKS) they are not read.
  const tasksFromFile = !fromFlags.length && !fromEnv.length;
  const workflowPatterns = workflowFlags.length ? workflowFlags : workflowEnv.length ? workflowEnv : tasksFromFile ? workflowFile : [];
  const workflowBaseDir = !workflowFlags.length && !workflowEnv.length && configFile ? dirname(configFile) : cwd;
  const schema = validateSchemaName(input.schema ?? env.JM_SCHEMA ?? file.schema ?? DEFAULT_SCHEMA);
  const database = resolveDatabaseUrl(input.databaseUrl, '--database-url', env, { path: configFile, databaseUrl: file.databaseUrl });
  const dataDir = env.JM_DATA_DIR ? resolve(cwd, env.JM_DATA_DIR) : join(configFile ? dirname(configFile) : resolve(cwd), '.jm');
  return {
    databaseUrl: database?.url,
    databaseUrlSource: database?.source,
    schema,
    taskPatterns,
    workflowPatterns,
    workflowBaseDir,
    baseDir,
    configFile,
    dataDir,
  };
}
