// The committed schema.sql is what a fresh `jm deploy` creates. Any schema change shows up
// here as a readable diff: regenerate with `UPDATE_SCHEMA_DUMP=1 pnpm exec vitest run test/schema`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deploy } from 'jobmaster';
import { expect, test } from 'vitest';
import { dumpSchema } from '../support/schema-dump.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('dump');
const DUMP_FILE = fileURLToPath(new URL('./schema.sql', import.meta.url));

test('a fresh deploy creates exactly the committed schema.sql', async () => {
  await deploy(db.pool, { schema: db.schema, definitions: [] });
  const actual = await dumpSchema(db.pool, db.schema);
  if (process.env.UPDATE_SCHEMA_DUMP === '1' || !existsSync(DUMP_FILE)) {
    writeFileSync(DUMP_FILE, actual);
    if (process.env.CI) throw new Error('schema.sql was missing in CI');
  }
  const committed = readFileSync(DUMP_FILE, 'utf8');
  expect(actual, 'the schema changed: review the diff, then run UPDATE_SCHEMA_DUMP=1 pnpm exec vitest run test/schema').toBe(committed);
});
