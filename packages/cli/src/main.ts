#!/usr/bin/env node
/**
 * The `jm` entry point. It runs the bundle (dist/bundle/jm.mjs, made by scripts/bundle.mjs)
 * when every file the bundle was made from is unchanged since, else the same program as
 * separate modules (cli-main.js): loading ~200 modules one by one was most of a short
 * command's start-up. Only node:fs is loaded here; checking the ~200 inputs costs about 2 ms.
 * JM_NO_BUNDLE=1 runs the separate modules.
 */
import module from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { currentBundle } from './bundle-manifest.js';
import { offerBundledSdk } from './bundled-sdk.js';
import { standInNavigator } from './navigator-stand-in.js';

const BUNDLE_DIR = fileURLToPath(new URL('./bundle/', import.meta.url));

// Node 22.1+ keeps the compiled code of the modules it loads (the bundle above all) on disk
// for the next start (NODE_DISABLE_COMPILE_CACHE=1 turns it off); Node 20 has no such cache.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
standInNavigator();
const bundle = process.env.JM_NO_BUNDLE ? undefined : currentBundle(BUNDLE_DIR);
if (bundle?.sdk) offerBundledSdk(join(BUNDLE_DIR, bundle.sdk.module), join(BUNDLE_DIR, bundle.sdk.replaces));
await (bundle ? import(pathToFileURL(join(BUNDLE_DIR, bundle.entry)).href) : import('./cli-main.js'));
