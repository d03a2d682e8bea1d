/**
 * Runs the built `jm` binary as a user would, capturing its output and exit code.
 * The caller's DATABASE_URL and JM_* variables are not inherited unless passed in `env`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const JM_ENTRY = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

export interface JmResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A clean environment for a child `jm`: no database or task settings leak in from the shell. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of Object.keys(env)) {
    if (key === 'DATABASE_URL' || key.startsWith('JM_') || key === 'JOBMASTER_SYSTEM_PROCESS_UNITS') delete env[key];
  }
  return { ...env, ...extra };
}

/** Runs a Node script from the repo root with a clean environment; resolves with its output. */
export function runNodeScript(
  script: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; input?: string } = {},
): Promise<JmResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: cleanEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Runs the built `jm` binary as a user would. */
export function runJm(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; input?: string } = {},
): Promise<JmResult> {
  return runNodeScript(JM_ENTRY, args, options);
}

/** Common connection flags for a test file's schema. */
export function dbFlags(db: { url: string; schema: string }): string[] {
  return ['--database-url', db.url, '--schema', db.schema];
}
