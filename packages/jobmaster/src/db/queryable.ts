import type pg from 'pg';

/**
 * Anything that runs a query: a `pg.Pool`, a `pg.Client`, or a client checked out of a pool
 * inside the caller's own transaction.
 */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}
