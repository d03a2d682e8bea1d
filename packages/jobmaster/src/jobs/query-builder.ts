import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type Compilable,
  type QueryCreator,
  type RawBuilder,
} from 'kysely';
import type { Queryable } from '../db/queryable.js';
import { validateSchemaName } from '../db/schema-name.js';
import type { JsonValue } from '../registry/task-definition.js';
import type { JobStatus } from './job-status.js';

/** The columns of `jobs` the TypeScript queries read, as pg returns them (bigint as text). */
export interface JobsTable {
  id: string;
  type_key: string;
  task_key: string;
  priority: number;
  arguments: Record<string, JsonValue>;
  status: JobStatus;
  process_units: number;
  run_at: Date;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  attempts: number;
  max_attempts: number;
  node: string | null;
  pid: number | null;
  message: string | null;
  error: JsonValue | null;
  spawned_by: string | null;
  cancel_requested: boolean;
}

/** The tables of a JobMaster schema that composed queries name. */
export interface JobMasterTables {
  jobs: JobsTable;
}

/**
 * Kysely (pinned to 0.28.x: 0.29 and later declare engines node >= 22, and JobMaster supports
 * Node 20) as a query builder only: it compiles, it never connects (a dummy driver). Queries
 * run through the caller's `Queryable`, so a client inside the caller's transaction works.
 */
const builder = new Kysely<JobMasterTables>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** A query creator whose tables live in `schema`: validated first, then quoted as an identifier by Kysely. */
export function inSchema(schema: string): QueryCreator<JobMasterTables> {
  return builder.withSchema(validateSchemaName(schema));
}

/**
 * Compiles a built query (or a `sql` template, which may embed built ones) and runs it with
 * bound values on `db`; returns its rows.
 */
export async function runQuery<R>(db: Queryable, query: Compilable<R> | RawBuilder<R>): Promise<R[]> {
  const compiled = 'isRawBuilder' in query ? query.compile(builder) : query.compile();
  const { rows } = await db.query(compiled.sql, [...compiled.parameters]);
  return rows as R[];
}
