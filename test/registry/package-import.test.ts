import { beforeEach, expect, it } from 'vitest';
import { registry } from '../../packages/jobmaster/src/registry/index.js';
import { loadFixtures } from './load-fixture.js';

beforeEach(() => registry.clear());

// The package resolves to its build output, which `npm test` builds before running the suite.
it('a task file importing from "jobmaster" registers into the same registry', async () => {
  await loadFixtures('package-import/from_package.ts');
  const run = registry.get('from_package', 'run')!;
  expect(run.parameters).toEqual([{ name: 'n', position: 0, type: 'number', required: true, selectFrom: null, help: 'a number' }]);
  expect(run.invoke({ n: 3 }, undefined)).toBe(3);
});
