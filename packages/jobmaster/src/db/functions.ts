import type { Queryable } from './queryable.js';
import { SQL_DIR, readSqlFiles, type SqlFile } from './sql-files.js';

const FUNCTION_FILE = /^[a-z0-9_]+\.sql$/;

/** Reads `sql/functions/*.sql`: each file holds the current definition of one routine (and its overloads). */
export async function loadFunctions(schema: string): Promise<SqlFile[]> {
  return await readSqlFiles(`${SQL_DIR}functions`, FUNCTION_FILE, schema);
}

/** SQLSTATE of "cannot change return type / parameter name / out parameters of existing function". */
const CANNOT_REPLACE = '42P13';

/**
 * Re-applies every function file, after the migrations and in the same transaction, so a
 * schema always holds exactly the routines this version defines:
 * - each file runs as `create or replace` (function bodies are checked when called, not
 *   here: a file may call a routine defined by a later file);
 * - a routine whose result type, out parameters or parameter names changed cannot be
 *   replaced: it is dropped and created again;
 * - a routine no file defines any more is dropped. Those are found as the routines of the
 *   schema whose catalog row this transaction did not write: `create or replace` always
 *   writes it, changed or not, and `age(xmin)` is 0 for a row this transaction wrote and
 *   negative for one its subtransactions (the savepoints here) wrote.
 * Workers running meanwhile keep calling the old definitions until the deploy commits.
 * Returns the names of the routines dropped as no longer defined.
 */
export async function applyFunctions(db: Queryable, schema: string): Promise<string[]> {
  await db.query('set local check_function_bodies = off');
  for (const file of await loadFunctions(schema)) {
    await db.query('savepoint jm_function');
    try {
      await db.query(file.sql);
      await db.query('release savepoint jm_function');
    } catch (error) {
      if ((error as { code?: string }).code !== CANNOT_REPLACE) throw error;
      await db.query('rollback to savepoint jm_function');
      await dropRoutines(db, schema, file.name);
      await db.query(file.sql);
    }
  }
  const { rows } = await db.query<{ routine: string; procedure: boolean }>(
    `select p.oid::regprocedure::text as routine, p.prokind = 'p' as procedure
       from pg_proc p
      where p.pronamespace = $1::text::regnamespace and age(p.xmin) > 0
      order by 1`,
    [schema],
  );
  for (const r of rows) await db.query(`drop ${r.procedure ? 'procedure' : 'function'} ${r.routine}`);
  return rows.map((r) => r.routine);
}

/** Drops every routine of the schema with this name (all overloads). */
async function dropRoutines(db: Queryable, schema: string, name: string): Promise<void> {
  const { rows } = await db.query<{ routine: string; procedure: boolean }>(
    `select p.oid::regprocedure::text as routine, p.prokind = 'p' as procedure
       from pg_proc p where p.pronamespace = $1::text::regnamespace and p.proname = $2`,
    [schema, name],
  );
  for (const r of rows) await db.query(`drop ${r.procedure ? 'procedure' : 'function'} ${r.routine}`);
}
