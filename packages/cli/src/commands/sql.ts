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

/**
 * `jm sql "<statement>"`: runs one statement against the configured database (the embedded
 * one when no DATABASE_URL is set), e.g. the README's `call jobmaster.insert_job(...)`.
 * Runs as written, with the privileges of the connection: it is the user's own SQL.
 */
export async function sqlCommand(ctx: CliContext, statement: string): Promise<SqlOutcome> {
  if (!statement.trim()) throw new JobMasterError('jm sql needs a statement, e.g. jm sql "select count(*) from jobmaster.jobs"');
  // Without bound values pg uses the simple protocol, which accepts several statements and
  // returns one result each; the last one is the answer.
  const raw = (await ctx.pool().query(statement)) as pg.QueryResult | pg.QueryResult[];
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
