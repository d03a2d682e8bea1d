// A write whose connection breaks can be told apart afterwards: trackedTransaction knows its
// transaction id before the COMMIT, so a lost COMMIT is settled by asking the server
// (transactionStatus) instead of guessing, and anything lost before the COMMIT did not commit.
// This is what lets `jm enqueue` on the embedded database repeat exactly the enqueues that did
// not commit. The connection is cut by a proxy while the server is really committing: a
// deferred trigger makes the COMMIT take a moment.
import { CommitOutcomeUnknownError, trackedTransaction, transactionStatus } from 'jobmaster';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutageProxy, type OutageProxy } from '../support/tcp-proxy.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('tracked');
let proxy: OutageProxy;

beforeAll(async () => {
  proxy = await startOutageProxy(db.url);
  await db.pool.query(`create schema "${db.schema}"`);
  await db.pool.query(`create table "${db.schema}".rows (name text primary key)`);
  // At COMMIT: wait 600 ms, then fail for names starting with 'fail' (the commit aborts).
  await db.pool.query(`
    create function "${db.schema}".slow_commit() returns trigger language plpgsql as $$
    begin
      perform pg_sleep(0.6);
      if new.name like 'fail%' then raise exception 'refused at commit'; end if;
      return null;
    end $$`);
  await db.pool.query(`
    create constraint trigger slow_commit after insert on "${db.schema}".rows
      deferrable initially deferred for each row execute function "${db.schema}".slow_commit()`);
});

afterAll(async () => {
  await proxy.close();
});

/** Inserts `name` in a tracked transaction through the proxy, cutting the connection 200 ms into its COMMIT. */
async function insertCutAtCommit(name: string): Promise<unknown> {
  proxy.up();
  const pool = new pg.Pool({ connectionString: proxy.url, max: 1 });
  pool.on('error', () => {});
  try {
    return await trackedTransaction(pool, async (client) => {
      await client.query(`insert into "${db.schema}".rows (name) values ($1)`, [name]);
      setTimeout(() => proxy.down(), 200);
      return `inserted ${name}`;
    });
  } catch (error) {
    return error;
  } finally {
    await pool.end().catch(() => {});
  }
}

async function settledStatus(xid: string): Promise<string | null> {
  for (;;) {
    const status = await transactionStatus(db.pool, xid);
    if (status !== 'in progress') return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a transaction whose connection is lost', () => {
  it('during a COMMIT that succeeds: the outcome is unknown to the client, and the server says committed', async () => {
    const error = await insertCutAtCommit('kept');
    expect(error).toBeInstanceOf(CommitOutcomeUnknownError);
    const unknown = error as CommitOutcomeUnknownError;
    expect(unknown.value).toBe('inserted kept');
    expect(unknown.xid).toMatch(/^\d+$/);
    expect(await settledStatus(unknown.xid)).toBe('committed');
    const { rows } = await db.pool.query(`select name from "${db.schema}".rows where name = 'kept'`);
    expect(rows).toEqual([{ name: 'kept' }]);
  });

  it('during a COMMIT that fails: the server says aborted, and nothing was written', async () => {
    const error = await insertCutAtCommit('fail-1');
    expect(error).toBeInstanceOf(CommitOutcomeUnknownError);
    expect(await settledStatus((error as CommitOutcomeUnknownError).xid)).toBe('aborted');
    const { rows } = await db.pool.query(`select name from "${db.schema}".rows where name = 'fail-1'`);
    expect(rows).toEqual([]);
  });

  it('before the COMMIT: the error is the lost connection itself (nothing committed), and nothing was written', async () => {
    proxy.up();
    const pool = new pg.Pool({ connectionString: proxy.url, max: 1 });
    pool.on('error', () => {});
    const error = await trackedTransaction(pool, async (client) => {
      await client.query(`insert into "${db.schema}".rows (name) values ('cut-before')`);
      proxy.down();
      await client.query('select 1');
    }).catch((e: unknown) => e);
    await pool.end().catch(() => {});
    expect(error).not.toBeInstanceOf(CommitOutcomeUnknownError);
    expect(String((error as Error).message)).toMatch(/Connection terminated|ECONNRESET|not queryable/);
    const { rows } = await db.pool.query(`select name from "${db.schema}".rows where name = 'cut-before'`);
    expect(rows).toEqual([]);
  });

  it('an id the server never reached (its record lost with a crash) reads as aborted', async () => {
    const { rows } = await db.pool.query<{ next: string }>('select (pg_current_xact_id()::text::bigint + 1000000)::text as next');
    expect(await transactionStatus(db.pool, rows[0]!.next)).toBe('aborted');
  });

  it('a COMMIT the server refuses is its own error, not an unknown outcome', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      const error = await trackedTransaction(pool, async (client) => {
        await client.query(`insert into "${db.schema}".rows (name) values ('fail-2')`);
      }).catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(CommitOutcomeUnknownError);
      expect((error as Error).message).toBe('refused at commit');
    } finally {
      await pool.end();
    }
  });
});
