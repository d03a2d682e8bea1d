import type { Queryable } from './queryable.js';
import { quoteSchema } from './schema-name.js';
import { SQL_DIR, readSqlFiles } from './sql-files.js';

/** One numbered schema migration: tables, indexes and data changes (functions are in `sql/functions/`). */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

const MIGRATION_FILE = /^\d{4}_[a-z0-9_]+\.sql$/;

/** Reads the numbered `.sql` files shipped with the package, with placeholders filled in. */
export async function loadMigrations(schema: string): Promise<Migration[]> {
  const files = await readSqlFiles(`${SQL_DIR}migrations`, MIGRATION_FILE, schema);
  return files.map((f) => ({ id: Number(f.name.slice(0, 4)), name: f.name, sql: f.sql }));
}

/** Serialises deploys of one schema across processes and machines (transaction-scoped). */
export async function lockSchemaForDeploy(db: Queryable, schema: string): Promise<void> {
  await db.query('select pg_advisory_xact_lock(hashtext($1))', [`jobmaster:deploy:${schema}`]);
}

/**
 * Applies the migrations not yet recorded in the schema, in order. Must run inside a
 * transaction holding `lockSchemaForDeploy`. Returns the migrations applied.
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
