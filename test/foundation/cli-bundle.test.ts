// `jm` starts from a bundle of its modules (pnpm build makes it), but only while it is current:
// a package rebuilt on its own since (tsc -b) must never run as stale code from the bundle.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { currentBundle } from '../../packages/cli/src/bundle-manifest.js';
import { JM_ENTRY, runNodeScript } from '../support/run-jm.js';

describe('the bundle check', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** A bundle directory whose manifest lists two input files beside it, as they are now. */
  function bundleWithInputs(): { bundleDir: string; input: (name: string) => string } {
    dir = mkdtempSync(join(tmpdir(), 'jm-bundle-'));
    const bundleDir = join(dir, 'bundle');
    mkdirSync(bundleDir);
    const input = (name: string): string => join(dir!, name);
    writeFileSync(input('a.js'), 'export const a = 1;\n');
    writeFileSync(input('b.js'), 'export const b = 2;\n');
    const inputs = ['a.js', 'b.js'].map((name) => {
      const stat = statSync(input(name));
      return [`../${name}`, stat.size, stat.mtimeMs];
    });
    writeFileSync(join(bundleDir, 'manifest.json'), JSON.stringify({ entry: 'jm.mjs', inputs }));
    return { bundleDir, input };
  }

  it('uses a bundle while every input is as it was bundled', () => {
    const { bundleDir } = bundleWithInputs();
    expect(currentBundle(bundleDir)?.entry).toBe('jm.mjs');
  });

  it('refuses a bundle once an input is rebuilt (new content) or removed', () => {
    const rebuilt = bundleWithInputs();
    appendFileSync(rebuilt.input('b.js'), 'export const c = 3;\n');
    expect(currentBundle(rebuilt.bundleDir)).toBeUndefined();
    rmSync(dir!, { recursive: true, force: true });
    const removed = bundleWithInputs();
    rmSync(removed.input('a.js'));
    expect(currentBundle(removed.bundleDir)).toBeUndefined();
  });

  it('refuses a missing or unreadable manifest', () => {
    const { bundleDir } = bundleWithInputs();
    writeFileSync(join(bundleDir, 'manifest.json'), '{not json');
    expect(currentBundle(bundleDir)).toBeUndefined();
    rmSync(join(bundleDir, 'manifest.json'));
    expect(currentBundle(bundleDir)).toBeUndefined();
  });
});

describe('the built jm', () => {
  // A module hook (off the main thread) appends every URL Node loads to a file.
  async function loadedModules(
    env: Record<string, string> = {},
    args = ['--version'],
  ): Promise<{ code: number | null; stdout: string; stderr: string; urls: string[] }> {
    const log = join(mkdtempSync(join(tmpdir(), 'jm-loads-')), 'loads.txt');
    const hooks = `import { appendFileSync } from 'node:fs'; export async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
    const script = join(tmpdir(), `jm-register-${process.pid}.mjs`);
    writeFileSync(script, register);
    const result = await runNodeScript('--import', [script, JM_ENTRY, ...args], { env });
    const urls = readFileSync(log, 'utf8').trim().split('\n');
    rmSync(join(log, '..'), { recursive: true, force: true });
    rmSync(script, { force: true });
    return { code: result.code, stdout: result.stdout, stderr: result.stderr, urls };
  }

  it('starts from its bundle, and JM_NO_BUNDLE=1 runs the same program as separate modules', async () => {
    const bundled = await loadedModules();
    expect(bundled.code).toBe(0);
    expect(bundled.urls.some((url) => url.endsWith('/packages/cli/dist/bundle/jm.mjs'))).toBe(true);
    expect(bundled.urls.some((url) => url.endsWith('/packages/jobmaster/dist/index.js'))).toBe(false);
    const unbundled = await loadedModules({ JM_NO_BUNDLE: '1' });
    expect(unbundled.code).toBe(0);
    expect(unbundled.urls.some((url) => url.includes('/dist/bundle/'))).toBe(false);
    expect(unbundled.urls.some((url) => url.endsWith('/packages/jobmaster/dist/index.js'))).toBe(true);
    expect(unbundled.stdout).toBe(bundled.stdout);
  });

  // A short command loads its own command's module and no other's: `jm run`'s description is
  // in the code of the run command only. `jm --help` lists every command, so it loads them all.
  it.each([
    ['the bundle', {}],
    ['the separate modules', { JM_NO_BUNDLE: '1' }],
  ])('a command line loads only the command it names, and --help every command (%s)', async (_, env: Record<string, string>) => {
    const runCommand = 'run jobs: as a long-lived worker';
    const loadedText = (urls: string[]) =>
      urls
        .filter((url) => url.startsWith('file:') && url.includes('/packages/cli/dist/'))
        .map((url) => readFileSync(new URL(url), 'utf8'))
        .join('\n');
    const enqueue = await loadedModules(env, ['enqueue', '--help']);
    expect(enqueue.code, enqueue.stderr).toBe(0);
    expect(enqueue.stdout).toContain('put one job on the queue');
    expect(loadedText(enqueue.urls)).not.toContain(runCommand);
    const help = await loadedModules(env, ['--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain(runCommand);
    expect(loadedText(help.urls)).toContain(runCommand);
  });

  // jiti hands a plain ES module to Node, whose import of 'jobmaster' jiti's alias cannot reach:
  // the package loaded a second time, module by module (0.1-0.2 s of a cron run). A resolve
  // hook reaches it where Node has in-thread hooks (22.15+, 24); on Node 20 the second copy
  // stays (see bundled-sdk.ts), and the tasks register all the same.
  const inThreadHooks = typeof (module as { registerHooks?: unknown }).registerHooks === 'function';
  it.each([
    ['a compiled JavaScript task module and the one it imports', 'test/fixtures/tasks/compiled-js/*.js'],
    ['a directory of them (the glob library expands it)', 'test/fixtures/tasks/compiled-js'],
  ])(
    `%s: each task registers once, from the bundle's own jobmaster${inThreadHooks ? '' : ' (Node 20: from a second copy)'}`,
    async (_, tasks) => {
      const listed = await loadedModules({}, ['tasks', '--tasks', tasks, '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout).map((t: { task: string; description: string }) => [t.task, t.description])).toEqual([
        ['compiled_tasks.double', 'Doubles n.'],
        ['upstream.source', 'Returns n.'],
      ]);
      expect(listed.urls.some((url) => url.endsWith('/packages/cli/dist/bundle/jm.mjs'))).toBe(true);
      const secondCopy = listed.urls.filter((url) => url.endsWith('/packages/jobmaster/dist/index.js'));
      expect(secondCopy).toHaveLength(inThreadHooks ? 0 : 1);
    },
  );
});
