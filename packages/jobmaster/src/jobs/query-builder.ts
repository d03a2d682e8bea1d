import type * as KyselyModule from 'kysely';
import type { Compilable, QueryCreator, RawBuilder } from 'kysely';
import type { Queryable } from '../db/queryable.js';
import { validateSchemaName } from '../db/schema-name.js';
import type { JsonValue } from '../registry/task-definition.js';
import type { JobStatus } from './job-status.js';

/** The columns of `jobs` the composed queries read, as pg returns them (bigint as text). */
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

/** What a composed query needs: a query creator in the schema, Kysely's `sql` tag, and a runner. */
export interface QueryTools {
  /** A query creator whose tables live in `schema`: validated first, then quoted as an identifier by Kysely. */
  inSchema(schema: string): QueryCreator<JobMasterTables>;
  sql: typeof KyselyModule.sql;
  /**
   * Compiles a built query (or a `sql` template, which may embed built ones) and runs it with
   * bound values on `db`, the caller's pool or client (so its transaction holds); returns the rows.
   */
  run<R>(db: Queryable, query: Compilable<R> | RawBuilder<R>): Promise<R[]>;
}

function makeTools(kysely: typeof KyselyModule): QueryTools {
  // Kysely as a compiler only: a dummy driver, so it never connects.
  const builder = new kysely.Kysely<JobMasterTables>({
    dialect: {
      createAdapter: () => new kysely.PostgresAdapter(),
      createDriver: () => new kysely.DummyDriver(),
      createIntrospector: (db) => new kysely.PostgresIntrospector(db),
      createQueryCompiler: () => new kysely.PostgresQueryCompiler(),
    },
  });
  return {
    inSchema: (schema) => builder.withSchema(validateSchemaName(schema)),
    sql: kysely.sql,
    async run<R>(db: Queryable, query: Compilable<R> | RawBuilder<R>): Promise<R[]> {
      const compiled = 'isRawBuilder' in query ? query.compile(builder) : query.compile();
      const { rows } = await db.query(compiled.sql, [...compiled.parameters]);
      return rows as R[];
    },
  };
}

let tools: Promise<QueryTools> | undefined;

/**
 * Kysely, loaded on first use: only `jm status` and retries of failed jobs compose queries, and
 * loading it takes as long as loading pg, which every worker and `jm enqueue` would pay.
 * (kysely is pinned to 0.28.x: 0.29 and later declare engines node >= 22; JobMaster supports Node 20.)
 */
export function queryTools(): Promise<QueryTools> {
  tools ??= import('kysely').then(makeTools);
  return tools;
}
