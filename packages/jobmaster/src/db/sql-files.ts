import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { notifyChannel, quoteSchema } from './schema-name.js';

/** The package's `sql/` folder: `migrations/` (tables, indexes, data) and `functions/` (one routine per file). */
export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** One `.sql` file of the package with its placeholders filled in for a schema. */
export interface SqlFile {
  /** The file name without `.sql`, e.g. `0001_schema` or `claim_jobs`. */
  name: string;
  sql: string;
}

/**
 * Fills in the placeholders of the package's SQL: `:schema` (the quoted schema identifier)
 * and `:channel_literal` (the NOTIFY channel as a quoted literal). The schema name is
 * validated before it is placed in the text.
 */
export function fillPlaceholders(text: string, schema: string): string {
  const ident = quoteSchema(schema);
  const channel = literal(notifyChannel(schema));
  return text.replace(/:channel_literal\b/g, channel).replace(/:schema\b/g, ident);
}

/** Reads the `.sql` files of `dir` whose names match `pattern`, in name order, with the placeholders filled in. */
export async function readSqlFiles(dir: string, pattern: RegExp, schema: string): Promise<SqlFile[]> {
  const files = (await readdir(dir)).filter((f) => pattern.test(f)).sort();
  return await Promise.all(
    files.map(async (file) => ({
      name: file.replace(/\.sql$/, ''),
      sql: fillPlaceholders(await readFile(`${dir}/${file}`, 'utf8'), schema),
    })),
  );
}
