/**
 * The embedded database is one PostgreSQL session (PGlite) shared by every connection; the
 * server in front of it must still give each connection what a real server gives it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedPool } from '@jobmaster/embedded';
import type pg from 'pg';
import { makeEmbeddedDir, waitFor, type EmbeddedDir } from './embedded-support.js';

describe('connections to the embedded database', () => {
  let dir: EmbeddedDir;
  let pool: pg.Pool;
  beforeAll(async () => {
    dir = makeEmbeddedDir();
    pool = createEmbeddedPool({ dataDir: dir.dataDir, max: 6 });
    await pool.query('create table t (id int generated always as identity primary key, v text not null)');
  });
  afterAll(async () => {
    await pool?.end();
    await dir?.dispose();
  });

  it('an open transaction is invisible to other connections, which wait for it to end', async () => {
    const a = await pool.connect();
    try {
      await a.query('begin');
      await a.query("insert into t (v) values ('in-tx')");
      let seen: number | undefined;
      const other = pool.query<{ n: number }>("select count(*)::int as n from t where v = 'in-tx'").then((r) => (seen = r.rows[0]!.n));
      await new Promise((r) => setTimeout(r, 200));
      expect(seen).toBeUndefined();
      await a.query('commit');
      await other;
      expect(seen).toBe(1);
    } finally {
      a.release();
    }
  });

  it('a connection that disappears inside a transaction is rolled back', async () => {
    const a = await pool.connect();
    await a.query('begin');
    await a.query("insert into t (v) values ('abandoned')");
    a.release(new Error('drop it')); // destroys the connection without commit
    await waitFor(async () => (await pool.query('select 1')).rowCount === 1, 'the database to be free again', 10_000);
    const { rows } = await pool.query<{ n: number }>("select count(*)::int as n from t where v = 'abandoned'");
    expect(rows[0]!.n).toBe(0);
  });

  it('a NOTIFY reaches the connections that LISTEN on its channel, and only those', async () => {
    const listener = await pool.connect();
    const bystander = await pool.connect();
    const heard: string[] = [];
    const bystanderHeard: string[] = [];
    listener.on('notification', (n) => heard.push(`${n.channel}:${n.payload}`));
    bystander.on('notification', (n) => bystanderHeard.push(`${n.channel}:${n.payload}`));
    try {
      await listener.query('listen "jm:wire"');
      await pool.query("select pg_notify('jm:wire', 'one')");
      await pool.query("select pg_notify('jm:other', 'two')");
      await waitFor(() => heard.length === 1, 'the notification', 10_000);
      await bystander.query('select 1');
      expect(heard).toEqual(['jm:wire:one']);
      expect(bystanderHeard).toEqual([]);
    } finally {
      listener.release();
      bystander.release();
    }
  });
});
