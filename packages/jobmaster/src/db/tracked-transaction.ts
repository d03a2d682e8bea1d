import type pg from 'pg';
import { CommitOutcomeUnknownError } from '../errors.js';
import type { Queryable } from './queryable.js';

/** What PostgreSQL knows of a transaction id: `pg_xact_status`. */
export type TransactionStatus = 'committed' | 'aborted' | 'in progress';

/**
 * Runs `work` in a transaction on one client of `pool`, learning the transaction's id first,
 * so that a caller whose connection breaks can tell afterwards whether the work took effect:
 * - a failure before the COMMIT was sent (in `work`, or the connection lost under it) is
 *   rethrown as is: the transaction did not commit, and repeating the work is safe;
 * - a failure of the COMMIT itself throws CommitOutcomeUnknownError with the transaction id
 *   and the value `work` returned; `transactionStatus` on a new connection then says
 *   whether it committed (and so whether `value` stands).
 * Costs two round trips more than running `work` alone (PostgreSQL 13+).
 */
export async function trackedTransaction<T>(pool: pg.Pool, work: (db: Queryable) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A connection that breaks emits 'error' on the client too; the failing query reports it.
  const ignore = (): void => {};
  client.on('error', ignore);
  const release = (broken: boolean): void => {
    client.off('error', ignore);
    client.release(broken);
  };
  let broken = false;
  let xid: string | undefined;
  let value: T;
  try {
    const opened = (await client.query('begin; select pg_current_xact_id()::text as xid')) as unknown as pg.QueryResult[];
    xid = (opened[1]?.rows[0] as { xid: string } | undefined)?.xid;
    value = await work(client);
  } catch (error) {
    if (xid !== undefined) await client.query('rollback').catch(() => (broken = true));
    else broken = true;
    release(broken);
    throw error;
  }
  try {
    await client.query('commit');
  } catch (error) {
    // The server answered (a deferred constraint, say): it did not commit, and said so.
    if (typeof (error as { severity?: unknown }).severity === 'string') throw error;
    broken = true;
    throw new CommitOutcomeUnknownError(xid!, value, { cause: error });
  } finally {
    release(broken);
  }
  return value;
}

/**
 * Whether transaction `xid` of this database committed, aborted (or died with its server) or
 * still runs; null if too old to know. An id the server calls "in the future" is one that no
 * record of survived a crash (its server restarted from a point before it): it did not
 * commit, so it reads as aborted.
 */
export async function transactionStatus(db: Queryable, xid: string): Promise<TransactionStatus | null> {
  try {
    const { rows } = await db.query<{ status: TransactionStatus | null }>('select pg_xact_status($1::xid8) as status', [xid]);
    return rows[0]?.status ?? null;
  } catch (error) {
    const err = error as { code?: unknown; message?: unknown };
    if (err?.code === '22023' && typeof err.message === 'string' && /is in the future/.test(err.message)) return 'aborted';
    throw error;
  }
}
