/**
 * `jm token` and `jm serve` as a user runs them: the built binary, against the test server
 * and against the embedded database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, expect, test } from 'vitest';
import { makeEmbeddedDir } from '../embedded/embedded-support.js';
import { JM_ENTRY, REPO_ROOT, cleanEnv, dbFlags } from '../support/run-jm.js';
import { useStatusFixture } from '../status/status-setup.js';

const fx = useStatusFixture('servecli');

interface Served {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `jm serve --port 0 ...` and resolves once it says where it listens. */
async function startServe(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [JM_ENTRY, 'serve', '--port', '0', ...args], {
    cwd: REPO_ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`jm serve did not start: ${stderr}`)), 120_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const match = /dashboard at (http:\/\/\S+?)\/,/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', () => reject(new Error(`jm serve exited: ${stderr}`)));
  });
  return {
    url,
    child,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

test('jm token create prints the token once; list and revoke never show it; bad input is one line', async () => {
  const created = await fx.jm(['token', 'create', 'ci-bot', '--scope', 'operate', '--expires', '30d']);
  expect(created.code).toBe(0);
  const token = created.stdout.trim();
  expect(token).toMatch(/^jm_[A-Za-z0-9_-]{43}$/);
  expect(created.stderr).toMatch(/^Token ci-bot \(scope operate, expires .+\) created\. It is shown this once/);
  const [stored] = await fx.sql<{ h: string }>(`select encode(token_hash, 'hex') as h from :s.api_tokens where name = 'ci-bot'`);
  expect(stored!.h).toHaveLength(64);
  expect(JSON.stringify(await fx.sql('select * from :s.api_tokens'))).not.toContain(token);

  const list = await fx.jm(['token', 'list']);
  expect(list.stdout).toMatch(/ci-bot\s+operate\s+active/);
  expect(list.stdout).not.toContain(token);
  const listed = await fx.jmJson<{ name: string; scope: string; expiresAt: string }[]>(['token', 'list']);
  expect(listed).toEqual([expect.objectContaining({ name: 'ci-bot', scope: 'operate', revokedAt: null })]);
  expect(Date.parse(listed[0]!.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);

  expect(await fx.jm(['token', 'revoke', 'ci-bot'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Token ci-bot revoked/) });
  expect((await fx.jm(['token', 'list'])).stdout).toMatch(/ci-bot\s+operate\s+revoked/);

  for (const [args, message] of [
    [['token', 'create', 'ci-bot', '--scope', 'read'], 'jm: A token named "ci-bot" already exists'],
    [['token', 'create', 'x', '--scope', 'root'], 'jm: Token scope must be one of read, operate, admin, got "root"'],
    [['token', 'create', 'x', '--scope', 'read', '--expires', 'soon'], 'jm: --expires must be a duration'],
    [['token', 'create', 'bad name', '--scope', 'read'], 'jm: Invalid token name "bad name"'],
    [['token', 'revoke', 'nobody'], 'jm: No token named "nobody"'],
  ] as const) {
    const result = await fx.jm([...args]);
    expect(result.code, args.join(' ')).toBe(1);
    expect(result.stderr.startsWith(message), result.stderr).toBe(true);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  }
});

test('jm serve refuses a non-loopback address while no token exists', async () => {
  await fx.sql('delete from :s.api_tokens');
  const result = await fx.jm(['serve', '--host', '0.0.0.0', '--port', '0']);
  expect(result.code).toBe(1);
  expect(result.stderr).toBe(
    'jm: Refusing to listen on 0.0.0.0: no API token exists yet, so nobody could sign in. Create one first (jm token create NAME --scope read), or serve on 127.0.0.1\n',
  );
  expect((await fx.jm(['serve', '--port', '70000'])).stderr).toBe('jm: --port must be a port number from 0 to 65535, got "70000"\n');
});

const served: Served[] = [];
afterAll(async () => {
  for (const s of served) if (s.child.exitCode === null) await s.stop();
});

test('jm serve answers /healthz, the API and the dashboard, and stops cleanly on SIGTERM', async () => {
  const token = (await fx.jm(['token', 'create', 'serve-admin', '--scope', 'admin'])).stdout.trim();
  const server = await startServe(dbFlags(fx.db));
  served.push(server);
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ ok: true });
  expect((await fetch(`${server.url}/api/v1/tasks`)).status).toBe(401);
  const tasks = await fetch(`${server.url}/api/v1/tasks`, { headers: { authorization: `Bearer ${token}` } });
  expect(tasks.status).toBe(200);
  const page = await fetch(`${server.url}/`, { headers: { authorization: `Bearer ${token}` } });
  expect(await page.text()).toContain('<h1>Overview</h1>');
  expect(await server.stop()).toBe(0);
  expect(server.stderr()).toContain('jm serve: stopped.');
});

test('jm serve works on the embedded database too', async () => {
  const dir = makeEmbeddedDir();
  try {
    expect((await dir.jm(['deploy', '--tasks', 'examples/*.ts'])).code).toBe(0);
    const token = (await dir.jm(['token', 'create', 'local', '--scope', 'read'])).stdout.trim();
    const server = await startServe([], { JM_DATA_DIR: dir.dataDir });
    served.push(server);
    const status = await fetch(`${server.url}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ schema: 'jobmaster', totals: { waiting: 0 } });
    expect(await server.stop()).toBe(0);
  } finally {
    await dir.dispose();
  }
}, 300_000);
