// Bundles the built `jm` (dist/cli-main.js and what it imports: the CLI, jobmaster, the embedded
// client, commander, chalk, pg) into dist/bundle/, which dist/main.js runs while it is current.
//
// Why: a short command spent most of its start-up loading ~200 small modules one by one
// (resolving, reading and compiling each). Measured on Node 20, 2 cores: `jm --version`
// 0.25 s unbundled against 0.10 s bundled, `node -e 0` 0.05 s.
//
// The bundle stays correct when only part of the tree is rebuilt (`tsc -b packages/jobmaster`):
// dist/bundle/manifest.json lists every input file of the workspace (and the package.json of each
// installed package bundled) with its size and modification time, and dist/main.js falls back
// to the unbundled modules when any of them differs.
//
// Modules that locate files next to themselves (`new URL('../sql/', import.meta.url)`, a
// createRequire for lazily loaded dependencies, the embedded server's script) keep doing so:
// `import.meta.url` in a module of package P becomes the URL of that module inside P as
// installed, found from the bundle with import.meta.resolve('P/package.json').
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const cliRoot = fileURLToPath(new URL('..', import.meta.url));
const entry = join(cliRoot, 'dist', 'cli-main.js');
// jobmaster's own entry too, sharing the CLI's modules: task modules loaded by `jm run` import
// it (see main.ts) instead of loading the package a second time, module by module.
const sdkEntry = fileURLToPath(import.meta.resolve('jobmaster'));
const outDir = join(cliRoot, 'dist', 'bundle');

// Loaded at run time from their own packages (each a dependency of the CLI, so the bundle can
// import it): jiti compiles task modules and tinyglobby finds them (both only when a command
// loads tasks), pg-native is optional. The HTTP server (`jm serve`) is bundled as a chunk of
// its own, loaded only by that command, so that it shares the CLI's copy of jobmaster.
const EXTERNAL = [/^node:/, /^jiti($|\/)/, /^tinyglobby$/, /^pg-native$/];
const cliPackage = JSON.parse(readFileSync(join(cliRoot, 'package.json'), 'utf8'));
const RESOLVABLE = new Set([cliPackage.name, ...Object.keys(cliPackage.dependencies ?? {})]);

/** The nearest package.json above a file: its directory and name. */
const packageOf = (() => {
  const cache = new Map();
  return (file) => {
    for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
      if (cache.has(dir)) return cache.get(dir);
      const manifest = join(dir, 'package.json');
      if (existsSync(manifest)) {
        const json = JSON.parse(readFileSync(manifest, 'utf8'));
        if (!json.name) continue;
        const exportsPackageJson = !json.exports || (typeof json.exports === 'object' && './package.json' in json.exports);
        const found = { dir, name: json.name, exportsPackageJson };
        cache.set(dir, found);
        return found;
      }
    }
    throw new Error(`no package.json above ${file}`);
  };
})();

const moduleUrlPlugin = {
  name: 'jm-module-url',
  transform(code, id) {
    if (!code.includes('import.meta.url') || !id.startsWith(sep)) return null;
    const pkg = packageOf(id);
    // The bundle finds the package with import.meta.resolve: it must be the CLI's own dependency.
    if (!pkg.exportsPackageJson || !RESOLVABLE.has(pkg.name)) {
      throw new Error(
        `${id} uses import.meta.url, but ${pkg.name} is not a dependency of the CLI exporting ./package.json: make it external`,
      );
    }
    const inPackage = relative(pkg.dir, id).split(sep).join('/');
    return {
      code: code.replaceAll('import.meta.url', `__jmModuleUrl(${JSON.stringify(pkg.name)}, ${JSON.stringify(inPackage)})`),
      map: null,
    };
  },
};

const BANNER = `// Built by packages/cli/scripts/bundle.mjs; run through dist/main.js, which checks it is current.
const __jmPackageRoots = new Map();
function __jmModuleUrl(name, file) {
  let root = __jmPackageRoots.get(name);
  if (root === undefined) __jmPackageRoots.set(name, (root = import.meta.resolve(name + '/package.json')));
  return new URL(file, root).href;
}`;

export async function bundle() {
  const started = Date.now();
  const { rolldown } = await import('rolldown');
  rmSync(outDir, { recursive: true, force: true });
  const build = await rolldown({
    input: { jm: entry, jobmaster: sdkEntry },
    platform: 'node',
    external: EXTERNAL,
    plugins: [moduleUrlPlugin],
    // The entries may export more than their modules do (chunks share through them).
    preserveEntrySignatures: 'allow-extension',
    logLevel: 'warn',
  });
  const { output } = await build.write({
    dir: outDir,
    format: 'esm',
    entryFileNames: '[name].mjs',
    chunkFileNames: '[name]-[hash].mjs',
    // Each command is a chunk of its own, loaded only when the command line names it (see
    // src/program.ts). The CLI's modules outside commands/, commander and chalk, which nearly
    // every command needs, form one chunk: split as commands share them, they made ten small
    // files, and loading those cost Node 20 what leaving the other commands out saved.
    codeSplitting: {
      includeDependenciesRecursively: false,
      groups: [
        { name: 'cli', test: /packages[\\/]cli[\\/]dist[\\/](?!cli-main\.js)[^\\/]+\.js$|[\\/]node_modules[\\/](commander|chalk)[\\/]/ },
      ],
    },
    banner: BANNER,
  });
  await build.close();
  // Files of the workspace are checked one by one (tsc -b rewrites them in place); an installed
  // package is checked by its package.json (a reinstall replaces its directory).
  const inputs = new Set();
  for (const chunk of output) {
    if (chunk.type !== 'chunk') continue;
    for (const id of chunk.moduleIds) {
      if (!id.startsWith(sep)) continue;
      inputs.add(id.includes(`${sep}node_modules${sep}`) ? join(packageOf(id).dir, 'package.json') : id);
    }
  }
  mkdirSync(outDir, { recursive: true });
  const files = [...inputs].sort().map((file) => {
    const stat = statSync(file);
    return [relative(outDir, file).split(sep).join('/'), stat.size, stat.mtimeMs];
  });
  const sdk = { module: 'jobmaster.mjs', replaces: relative(outDir, sdkEntry).split(sep).join('/') };
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify({ entry: 'jm.mjs', sdk, inputs: files }));
  return { files: files.length, ms: Date.now() - started };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const { files, ms } = await bundle();
    if (!process.argv.includes('--quiet'))
      process.stderr.write(`Bundled jm into dist/bundle in ${ms} ms (${files} input files checked at start-up)\n`);
  } catch (error) {
    // jm still works unbundled (dist/main.js finds no manifest), only slower to start.
    process.stderr.write(`Could not bundle jm (it will run unbundled, slower to start): ${error?.message ?? error}\n`);
    process.exitCode = process.argv.includes('--strict') ? 1 : 0;
  }
}
