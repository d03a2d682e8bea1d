import { readFileSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

/** What scripts/bundle.mjs writes beside the bundle (manifest.json). */
export interface BundleManifest {
  /** The CLI's entry, relative to the bundle directory. */
  entry: string;
  /** jobmaster's entry in the bundle, and the file of the package it was made from (see bundled-sdk.ts). */
  sdk?: { module: string; replaces: string };
  /** [path relative to the bundle directory, size, mtimeMs] of each file checked. */
  inputs: Array<[string, number, number]>;
}

/**
 * The manifest of the bundle in `dir` when the bundle may run: every file it was made from
 * has the size and modification time it had then. Undefined when there is no bundle or any
 * input was rebuilt or removed since (the bundle would run stale code).
 */
export function currentBundle(dir: string): BundleManifest | undefined {
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as BundleManifest;
  } catch {
    return undefined;
  }
  if (!Array.isArray(manifest.inputs) || typeof manifest.entry !== 'string') return undefined;
  // Concatenated, not path.join()ed: joining ~200 paths cost more than statting them.
  const base = dir.endsWith(sep) ? dir : dir + sep;
  for (const [file, size, mtimeMs] of manifest.inputs) {
    const stat = statSync(base + file, { throwIfNoEntry: false });
    if (!stat || stat.size !== size || stat.mtimeMs !== mtimeMs) return undefined;
  }
  return manifest;
}
