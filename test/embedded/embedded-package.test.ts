/**
 * The embedded database is a package of its own that only the CLI depends on: an application
 * importing `jobmaster` to enqueue jobs neither installs nor loads PGlite.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import * as sdk from 'jobmaster';
import * as embedded from '@jobmaster/embedded';
import * as embeddedClient from '@jobmaster/embedded/client';

// Resolved by a plain node process without the NODE_PATH that `pnpm exec` sets (it names every
// package of the workspace's store), as an application's node would resolve it.
function resolveFromSdk(specifier: string): string {
  const script = `console.log(require('node:module').createRequire(process.argv[1]).resolve(process.argv[2]))`;
  const sdkManifest = new URL('../../packages/jobmaster/package.json', import.meta.url).pathname;
  const result = spawnSync(process.execPath, ['-e', script, sdkManifest, specifier], {
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: '' },
  });
  return result.status === 0 ? result.stdout.trim() : `not found: ${result.stderr.match(/Cannot find module '[^']*'/)?.[0]}`;
}
const manifest = (path: string): { dependencies?: Record<string, string> } =>
  JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));

it('the SDK has no dependency on PGlite and cannot even resolve it', () => {
  expect(Object.keys(manifest('../../packages/jobmaster/package.json').dependencies ?? {})).not.toContain('@electric-sql/pglite');
  expect(resolveFromSdk('@electric-sql/pglite')).toBe("not found: Cannot find module '@electric-sql/pglite'");
  expect(resolveFromSdk('pg')).toMatch(/node_modules/);
});

it('the SDK exports nothing of the embedded database; @jobmaster/embedded does', () => {
  expect(Object.keys(sdk).filter((name) => /embedded/i.test(name))).toEqual([]);
  expect(Object.keys(embedded).sort()).toEqual([
    'EMBEDDED_POSTGRES_SETTINGS',
    'EmbeddedDatabaseError',
    'EmbeddedServerStoppedError',
    'createEmbeddedPool',
    'embeddedServerFirstXid',
    'isServerLoss',
    'serveEmbeddedDatabase',
  ]);
  expect(new embedded.EmbeddedDatabaseError('x')).toBeInstanceOf(sdk.JobMasterError);
  expect(embeddedClient.createEmbeddedPool).toBe(embedded.createEmbeddedPool);
});

/** Every module file the given dist file imports, transitively, within the package. */
function importGraph(file: URL, seen = new Set<string>()): Set<string> {
  if (seen.has(file.href)) return seen;
  seen.add(file.href);
  for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
    if (specifier!.startsWith('.')) importGraph(new URL(specifier!, file), seen);
    else seen.add(specifier!);
  }
  return seen;
}

it('the client entry, which every jm command loads, does not load PGlite; only the server does', () => {
  const dist = new URL('../../packages/embedded/dist/', import.meta.url);
  expect([...importGraph(new URL('client.js', dist))].filter((m) => m.includes('pglite'))).toEqual([]);
  expect([...importGraph(new URL('server-main.js', dist))]).toContain('@electric-sql/pglite');
});

it('the CLI depends on @jobmaster/embedded', () => {
  expect(manifest('../../packages/cli/package.json').dependencies).toHaveProperty('@jobmaster/embedded', 'workspace:*');
});
