#!/usr/bin/env node
/**
 * The `jm` entry point. It runs the bundle (dist/bundle/jm.mjs, made by scripts/bundle.mjs)
 * when every file the bundle was made from is unchanged since, else the same program as
 * separate modules (cli-main.js): loading ~200 modules one by one was most of a short
 * command's start-up. Only node:fs is loaded here; checking the inputs costs about 1 ms.
 */
import { readFileSync, statSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { offerBundledSdk } from './bundled-sdk.js';
import { standInNavigator } from './navigator-stand-in.js';

const BUNDLE_DIR = fileURLToPath(new URL('./bundle/', import.meta.url));

interface BundleManifest {
  entry: string;
  /** jobmaster's entry in the bundle, and the file of the package it was made from (see bundled-sdk.ts). */
  sdk?: { module: string; replaces: string };
  /** [path relative to the bundle directory, size, mtimeMs] of each file checked (see scripts/bundle.mjs). */
  inputs: Array<[string, number, number]>;
}

/** The bundle's manifest when the bundle is current, else undefined. */
function currentBundle(): BundleManifest | undefined {
  if (process.env.JM_NO_BUNDLE) return undefined;
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(readFileSync(join(BUNDLE_DIR, 'manifest.json'), 'utf8')) as BundleManifest;
  } catch {
    return undefined; // Not bundled (the bundler could not run): the modules work the same.
  }
  for (const [file, size, mtimeMs] of manifest.inputs) {
    const stat = statSync(join(BUNDLE_DIR, file), { throwIfNoEntry: false });
    // Rebuilt (or removed) since bundling: the bundle would run stale code.
    if (!stat || stat.size !== size || stat.mtimeMs !== mtimeMs) return undefined;
  }
  return manifest;
}

// Node 22.1+ keeps the compiled code of the modules it loads (the bundle above all) on disk
// for the next start (NODE_DISABLE_COMPILE_CACHE=1 turns it off); Node 20 has no such cache.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
standInNavigator();
const bundle = currentBundle();
if (bundle?.sdk) offerBundledSdk(join(BUNDLE_DIR, bundle.sdk.module), join(BUNDLE_DIR, bundle.sdk.replaces));
await (bundle ? import(pathToFileURL(join(BUNDLE_DIR, bundle.entry)).href) : import('./cli-main.js'));
