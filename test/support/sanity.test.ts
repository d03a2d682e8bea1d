import { expect, test } from 'vitest';
import { useTestDatabase } from './test-database.js';
const db = useTestDatabase();
test('the suite reaches a real PostgreSQL server', async () => {
  const { rows } = await db.pool.query<{ v: string }>('select current_setting($1) as v', ['server_version_num']);
  expect(Number(rows[0]!.v)).toBeGreaterThanOrEqual(130000);
});
