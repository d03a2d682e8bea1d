import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeEach, expect, it } from 'vitest';
import { registry } from '../../packages/jobmaster/src/registry/index.js';
import { loadFixtures } from './load-fixture.js';

beforeEach(() => registry.clear());

// The package resolves to its build output: run `pnpm build` first (skipped until it exports `task`).
const entry = createRequire(import.meta.url).resolve('jobmaster/package.json').replace(/package\.json$/, 'dist/index.js');
const built = existsSync(entry) && (await import(entry).then((m: Record<string, unknown>) => typeof m.task === 'function'));

it.skipIf(!built)('a task file importing from "jobmaster" registers into the same registry', async () => {
  await loadFixtures('package-import/from_package.ts');
  const run = registry.get('from_package', 'run')!;
  expect(run.parameters).toEqual([{ name: 'n', position: 0, type: 'number', required: true, selectFrom: null, help: 'a number' }]);
  expect(run.invoke({ n: 3 }, undefined)).toBe(3);
});
