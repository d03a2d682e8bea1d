// Makes a fresh clone runnable with only Node.js and npm: installs the pinned pnpm if it is
// missing, installs dependencies when the lockfile changed, and builds the packages.
// Used by `npm test`, `npm run demo` and bin/jm; safe and quick to run again.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { packageManager } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const pnpmVersion = packageManager.replace(/^pnpm@/, '');

function run(command, args, options = {}) {
  execFileSync(command, args, { cwd: root, stdio: options.quiet ? 'ignore' : ['ignore', 'inherit', 'inherit'], env: process.env });
}

function installedPnpm() {
  try {
    return execFileSync('pnpm', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function needsInstall() {
  const marker = `${root}/node_modules/.pnpm/lock.yaml`;
  if (!existsSync(marker)) return true;
  return statSync(`${root}/pnpm-lock.yaml`).mtimeMs > statSync(marker).mtimeMs;
}

export async function bootstrap({ quiet = true } = {}) {
  const say = (text) => quiet || process.stderr.write(`${text}\n`);
  if (installedPnpm() !== pnpmVersion) {
    say(`Installing pnpm ${pnpmVersion} (npm install -g pnpm@${pnpmVersion})...`);
    run('npm', ['install', '-g', `pnpm@${pnpmVersion}`, '--no-fund', '--no-audit', '--loglevel=error']);
  }
  if (needsInstall()) {
    say('Installing dependencies (pnpm install --frozen-lockfile)...');
    run('pnpm', ['install', '--frozen-lockfile', '--reporter=silent']);
  }
  run('pnpm', ['--silent', 'build']);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bootstrap({ quiet: false });
}
