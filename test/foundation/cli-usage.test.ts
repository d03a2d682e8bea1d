// The command line itself: usage mistakes exit 2 with commander's one-line message,
// help exits 0, and a closed pipe is not an error.
import { spawn } from 'node:child_process';
import { expect, test } from 'vitest';
import { JM_ENTRY, REPO_ROOT, cleanEnv, runJm } from '../support/run-jm.js';

test.each([
  [['bogus'], "unknown command 'bogus'"],
  [['enqueue'], "missing required argument 'type_key'"],
  [['enqueue', 'things1', 'foo', '--no-such-flag'], "unknown option '--no-such-flag'"],
  [['prune'], "required option '--older-than <duration>' not specified"],
  [['deploy', '--output', 'yaml'], "argument 'yaml' is invalid"],
])('jm %j is a usage error: exit 2', async (args, message) => {
  const result = await runJm(args);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(message);
});

test.each([[['--help']], [['enqueue', '--help']], [['run', '--help']]])('jm %j prints help and exits 0', async (args) => {
  const result = await runJm(args);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('Usage: jm');
});

test('a reader closing the pipe early ends jm quietly', async () => {
  const child = spawn(process.execPath, [JM_ENTRY, 'tasks', '--tasks', 'examples/*.ts'], { cwd: REPO_ROOT, env: cleanEnv() });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.destroy();
  const code = await new Promise((resolve) => child.on('close', resolve));
  expect(stderr).not.toContain('EPIPE');
  expect(code).toBe(0);
});

test('jm --version prints the CLI version and exits 0', async () => {
  const result = await runJm(['--version']);
  expect(result.code).toBe(0);
  expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
});
