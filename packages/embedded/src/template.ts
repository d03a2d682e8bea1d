import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Creating a database runs PostgreSQL's initdb inside PGlite: 6 to 12 s and a 750 MB peak.
// `pnpm build` does it once, into the package's template/ folder, and every new data
// directory starts as a copy of that template: a file copy of 39 MB, no PGlite at all.
// The template is only used when the PGlite that made it is the one installed.

const TEMPLATE_ROOT = fileURLToPath(new URL('../template/', import.meta.url));
const TEMPLATE_PGDATA = join(TEMPLATE_ROOT, 'pgdata');
const STAMP = join(TEMPLATE_ROOT, 'made-with');

/** The installed PGlite's version (its package.json is not in its exports map). */
function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
    if (name === '@electric-sql/pglite') return version ?? 'unknown';
  }
  return 'unknown';
}

const stamp = (): string => `@electric-sql/pglite ${pgliteVersion()}`;

/** True when the template exists and was made by the installed PGlite. */
export function templateIsCurrent(): boolean {
  try {
    return existsSync(join(TEMPLATE_PGDATA, 'PG_VERSION')) && readFileSync(STAMP, 'utf8') === stamp();
  } catch {
    return false;
  }
}

/**
 * Copies the template to `pgdata` (which must not exist); false when there is no current
 * template, or when JM_EMBEDDED_TEMPLATE=off asks for a database created by PGlite itself.
 */
export function copyTemplate(pgdata: string): boolean {
  if (process.env.JM_EMBEDDED_TEMPLATE === 'off' || !templateIsCurrent()) return false;
  cpSync(TEMPLATE_PGDATA, pgdata, { recursive: true });
  return true;
}

/** Makes the template with `create` (which creates a closed database in the path it is given) unless it is current. */
export async function makeTemplate(create: (pgdata: string) => Promise<void>): Promise<'current' | 'made'> {
  if (templateIsCurrent()) return 'current';
  mkdirSync(TEMPLATE_ROOT, { recursive: true });
  const making = join(TEMPLATE_ROOT, `pgdata.making-${process.pid}`);
  rmSync(making, { recursive: true, force: true });
  await create(making);
  rmSync(TEMPLATE_PGDATA, { recursive: true, force: true });
  renameSync(making, TEMPLATE_PGDATA);
  writeFileSync(STAMP, stamp());
  return 'made';
}
