/**
 * Per-file isolation: each test file works in a schema of its own on the shared test
 * server, so files run in parallel without seeing each other's jobs.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';

export interface TestDatabase {
  /** Connection string of the test server. */
  url: string;
  /** A fresh schema name, unique to this file. */
  schema: string;
  /** A pool for assertions made directly in SQL. */
  pool: pg.Pool;
}

/** Reserves a unique schema for the calling test file and drops it when the file ends. */
export function useTestDatabase(prefix = 't'): TestDatabase {
  const url = inject('databaseUrl');
  const schema = `${prefix}_${randomBytes(5).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  afterAll(async () => {
    await pool.query(`drop schema if exists "${schema}" cascade`);
    await pool.end();
  });
  return { url, schema, pool };
}
