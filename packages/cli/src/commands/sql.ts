import type { Command } from 'commander';
import { JobMasterError } from 'jobmaster';
import type pg from 'pg';
import type { CliContext } from '../cli-context.js';
import { execute, withCommonOptions, type CommonOptions } from '../command-runner.js';
import { formatTable, type Output } from '../output.js';

/** What one SQL statement returned. */
export interface SqlOutcome {
  /** The command tag, e.g. SELECT, INSERT, CALL. */
  command: string;
  rowCount: number | null;
  columns: string[];
  rows: Record<string, unknown>[];
}

// Statements that end, open or change transactions could step out of the read-only
// transaction a repeat runs in, so they are never repeated.
const TRANSACTION_CONTROL =
  /\b(commit|rollback|abort|begin|savepoint|release|prepare|set_config)\b|\bstart\s+transaction\b|\bend\s*(;|$)|\b(set|reset)\s+(session|transaction|default_transaction_read_only|all)\b/i;
const READ_ONLY_TRANSACTION = '25006';

/**
 * The embedded server died under `statement`, which was therefore rolled back. A statement
 * that only reads is run once more, on the restarted server, inside a read-only transaction:
 * if it turns out to write, PostgreSQL refuses it there and the stop is reported instead.
 */
async function repeatIfReadOnly(pool: pg.Pool, statement: string, stopped: unknown): Promise<pg.QueryResult | pg.QueryResult[]> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('begin transaction read only');
    const raw = (await client.query(statement)) as pg.QueryResult | pg.QueryResult[];
    await client.query('commit');
    return raw;
  } catch (error) {
    await client.query('rollback').catch(() => (broken = true));
    throw (error as { code?: unknown }).code === READ_ONLY_TRANSACTION ? stopped : error;
  } finally {
    client.release(broken);
  }
}

/**
 * `jm sql "<statement>"`: runs one statement against the configured database (the embedded
 * one when no DATABASE_URL is set), e.g. the README's `call jobmaster.insert_job(...)`.
 * Runs as written, with the privileges of the connection: it is the user's own SQL. If the
 * embedded server dies under it, a read is repeated on the restarted server (see below).
 */
export async function sqlCommand(ctx: CliContext, statement: string): Promise<SqlOutcome> {
  if (!statement.trim()) throw new JobMasterError('jm sql needs a statement, e.g. jm sql "select count(*) from jobmaster.jobs"');
  // Without bound values pg uses the simple protocol, which accepts several statements and
  // returns one result each; the last one is the answer.
  let raw: pg.QueryResult | pg.QueryResult[];
  try {
    raw = (await ctx.pool().query(statement)) as pg.QueryResult | pg.QueryResult[];
  } catch (error) {
    if (!ctx.embeddedServerStopped(error) || TRANSACTION_CONTROL.test(statement)) throw error;
    ctx.reopen();
    raw = await repeatIfReadOnly(ctx.pool(), statement, error);
  }
  const result = Array.isArray(raw) ? raw.at(-1) : raw;
  return {
    command: result?.command ?? '',
    rowCount: result?.rowCount ?? null,
    columns: result?.fields?.map((f) => f.name) ?? [],
    rows: result?.rows ?? [],
  };
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function printSql(out: Output, outcome: SqlOutcome): void {
  if (outcome.columns.length === 0) {
    out.write(`${outcome.command}${outcome.rowCount === null ? '' : ` ${outcome.rowCount}`}`);
    return;
  }
  const rows = outcome.rows.map((row) => outcome.columns.map((c) => cell(row[c])));
  out.write(formatTable(outcome.columns, rows));
  out.write(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
}

export function registerSqlCommand(program: Command, out: Output): void {
  withCommonOptions(
    program
      .command('sql')
      .description('run one SQL statement against the database (embedded or DATABASE_URL) and print its rows')
      .argument('<statement>', 'the statement, e.g. "select id, status from jobmaster.jobs"'),
  ).action(async (statement: string, options: CommonOptions) => {
    await execute(options, out, (ctx) => sqlCommand(ctx, statement), printSql);
  });
}
