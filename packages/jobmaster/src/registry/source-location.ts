import path from 'node:path';
import { fileURLToPath } from 'node:url';

// This file lives in <package>/src/registry or <package>/dist/registry.
const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OWN_DIRS = [path.join(PACKAGE_ROOT, 'src') + path.sep, path.join(PACKAGE_ROOT, 'dist') + path.sep];

/**
 * The file of the first stack frame outside the jobmaster package, node internals and
 * node_modules: the user module that applied a decorator or called `defineTask`.
 * Works for files loaded through jiti (frames carry the .ts path) and for compiled .js
 * (frames carry file:// URLs). Returns null when no such frame exists.
 */
export function callerFile(): string | null {
  const previousLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = previousLimit;
  const lines = stack.split('\n').slice(1);
  // This very function's file: inside the package, or inside a bundle made of it (the `jm`
  // CLI's), whose directory then holds nothing but the bundle's own code.
  const ownFile = lines[0] === undefined ? null : frameFile(lines[0]);
  const bundleDir = ownFile !== null && !OWN_DIRS.some((dir) => ownFile.startsWith(dir)) ? path.dirname(ownFile) + path.sep : null;
  for (const line of lines) {
    const file = frameFile(line);
    if (file === null) continue;
    if (OWN_DIRS.some((dir) => file.startsWith(dir))) continue;
    if (bundleDir !== null && file.startsWith(bundleDir)) continue;
    if (file.split(/[\\/]/).includes('node_modules')) continue;
    return file;
  }
  return null;
}

/** The absolute file path named by one V8 stack frame line, or null (native, internal, eval). */
function frameFile(line: string): string | null {
  // "    at fn (/a/b.ts:1:2)", "    at /a/b.ts:1:2", "    at async fn (file:///a/b.js:1:2)"
  const match = /\((.*):\d+:\d+\)\s*$/.exec(line) ?? /^\s*at\s+(?:async\s+)?(.*):\d+:\d+\s*$/.exec(line);
  if (!match) return null;
  let location = match[1]!;
  if (location.startsWith('file://')) {
    try {
      location = fileURLToPath(location);
    } catch {
      return null;
    }
  }
  return path.isAbsolute(location) ? location : null;
}

/** Default type key of a module: its basename without the extension (`things1` for `things1.ts`). */
export function moduleTypeKey(file: string): string {
  const base = path.basename(file);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}
