// Deploy refuses a PostgreSQL server older than the oldest supported major before writing
// anything. The suite's own server is always supported, so the refusal is driven here by
// asking for a minimum one major above it: the same code reads the real server's
// server_version_num and names it. `pnpm test:matrix` also deploys to a real PostgreSQL 13
// and checks the refusal there (docs/postgres-versions.md).
import { describe, expect, test } from 'vitest';
import { MINIMUM_POSTGRES_MAJOR, refuseUnsupportedServer } from '../../packages/jobmaster/src/deploy/deploy.js';
import { UnsupportedPostgresVersionError } from '../../packages/jobmaster/src/errors.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('pgversion');

async function serverVersion(): Promise<{ version: string; major: number }> {
  const { rows } = await db.pool.query<{ version: string }>(`select current_setting('server_version') as version`);
  // e.g. "15.20 (Debian 15.20-0+deb12u1)" or "18.4"
  const version = (rows[0]?.version ?? '').split(' ')[0] ?? '';
  return { version, major: Number(version.split('.')[0]) };
}

describe('the supported PostgreSQL versions', () => {
  test('a server older than the oldest supported major is refused, naming its version and the minimum', async () => {
    const { version, major } = await serverVersion();
    const refusal = await refuseUnsupportedServer(db.pool, major + 1).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(UnsupportedPostgresVersionError);
    expect(refusal).toMatchObject({
      code: 'JM_UNSUPPORTED_POSTGRES_VERSION',
      serverVersion: version,
      minimumVersion: major + 1,
      message: `PostgreSQL ${version} is older than the oldest supported, ${major + 1}`,
    });
  });

  test('a server of exactly the minimum major is accepted', async () => {
    const { major } = await serverVersion();
    await expect(refuseUnsupportedServer(db.pool, major)).resolves.toBeUndefined();
  });

  test('the oldest supported major is 14, and the suite runs on a supported server', async () => {
    expect(MINIMUM_POSTGRES_MAJOR).toBe(14);
    expect((await serverVersion()).major).toBeGreaterThanOrEqual(MINIMUM_POSTGRES_MAJOR);
    await expect(refuseUnsupportedServer(db.pool)).resolves.toBeUndefined();
  });
});
