import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Queryable } from './queryable.js';
import { notifyChannel, quoteSchema } from './schema-name.js';

/** One numbered schema migration. */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

const MIGRATIONS_DIR = fileURLToPath(new URL('../../sql/migrations/', import.meta.url));

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Reads the numbered `.sql` files shipped with the package, with placeholders filled in. */
export async function loadMigrations(schema: string): Promise<Migration[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const ident = quoteSchema(schema);
  const channel = literal(notifyChannel(schema));
  return await Promise.all(
    files.map(async (file) => {
      const text = await readFile(MIGRATIONS_DIR + file, 'utf8');
      return {
        id: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ''),
        sql: text.replace(/:channel_literal\b/g, channel).replace(/:schema\b/g, ident),
      };
    }),
  );
}

/** Serialises deploys of one schema across processes and machines (transaction-scoped). */
export async function lockSchemaForDeploy(db: Queryable, schema: string): Promise<void> {
  await db.query('select pg_advisory_xact_lock(hashtext($1))', [`jobmaster:deploy:${schema}`]);
}

/**
 * Applies the migrations not yet recorded in the schema, in order. Must run inside a
 * transaction holding `lockSchemaForDeploy`. Returns the ids applied.
 */
export async function applyMigrations(db: Queryable, schema: string): Promise<Migration[]> {
  const ident = quoteSchema(schema);
  await db.query(`create schema if not exists ${ident}`);
  await db.query(
    `create table if not exists ${ident}.migrations (id integer primary key, name text not null, applied_at timestamptz not null default now())`,
  );
  const { rows } = await db.query<{ id: number }>(`select id from ${ident}.migrations`);
  const done = new Set(rows.map((r) => r.id));
  const pending = (await loadMigrations(schema)).filter((m) => !done.has(m.id));
  for (const migration of pending) {
    await db.query(migration.sql);
    await db.query(`insert into ${ident}.migrations (id, name) values ($1, $2)`, [migration.id, migration.name]);
  }
  return pending;
}

/** The newest migration id this version of JobMaster ships. */
export async function latestMigrationId(): Promise<number> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{4}_/.test(f)).sort();
  return Number(files.at(-1)?.slice(0, 4) ?? 0);
}
