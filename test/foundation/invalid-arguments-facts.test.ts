// A rejected enqueue or call says in fields, not only in words, which task, parameter and
// value were refused, wherever the TypeScript side knew them.
import { beforeAll, describe, expect, test } from 'vitest';
import { deploy } from '../../packages/jobmaster/src/deploy/deploy.js';
import { InvalidArgumentsError } from '../../packages/jobmaster/src/errors.js';
import { enqueueJob } from '../../packages/jobmaster/src/jobs/enqueue-job.js';
import { registry } from '../../packages/jobmaster/src/registry/index.js';
import { loadFixtures } from '../registry/load-fixture.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('argfacts');
const RESIZE = { typeKey: 'plain_functions', taskKey: 'resize' };

beforeAll(async () => {
  registry.clear();
  await loadFixtures('valid/*.ts');
  await deploy(db.pool, { schema: db.schema, definitions: registry.definitions(), reset: false });
});

async function refusal(promise: Promise<unknown>): Promise<InvalidArgumentsError> {
  const error = await promise.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidArgumentsError);
  return error as InvalidArgumentsError;
}

async function jobCount(): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(`select count(*)::int as n from "${db.schema}".jobs`);
  return rows[0]!.n;
}

describe('enqueue options refused before the database', () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const badDate = new Date('not a date');

  test.each([
    ['a priority out of range', { priority: 2 ** 31 }, 2 ** 31],
    ['an invalid runAt', { runAt: badDate }, badDate],
    ['an empty jobKey', { jobKey: '' }, ''],
    ['an unknown onConflict', { jobKey: 'k', onConflict: 'merge' as never }, 'merge'],
  ])('%s names the task and the value', async (_case, options, value) => {
    const error = await refusal(enqueueJob(db.pool, db.schema, { ...RESIZE, args: { path: '/a' }, ...options }));
    expect(error.task).toBe('plain_functions.resize');
    expect(error.parameter).toBeUndefined();
    expect(error.value).toBe(value);
    expect(await jobCount()).toBe(0);
  });

  test('arguments that are not JSON name the task, the parameter and its value', async () => {
    const error = await refusal(enqueueJob(db.pool, db.schema, { ...RESIZE, args: circular as never }));
    expect(error.message).toBe('plain_functions.resize: parameter "self" holds a circular reference, which JSON cannot hold');
    expect(error).toMatchObject({ task: 'plain_functions.resize', parameter: 'self', value: circular });
    expect(await jobCount()).toBe(0);
  });

  test('a refusal by the database keeps its message and cause, and carries the facts it sends', async () => {
    const error = await refusal(enqueueJob(db.pool, db.schema, { ...RESIZE, args: { path: '/a', bogus: 1 } }));
    expect(error.message).toContain('unknown parameter "bogus"');
    expect(error.cause).toBeDefined();
    expect(error).toMatchObject({ task: 'plain_functions.resize', parameter: 'bogus' });
    const typed = await refusal(enqueueJob(db.pool, db.schema, { ...RESIZE, args: { path: 5 } }));
    expect(typed).toMatchObject({ task: 'plain_functions.resize', parameter: 'path', value: 5 });
    expect(await jobCount()).toBe(0);
  });
});

// invoke() runs the fixture's own copy of the registry (loaded through jiti): match by name and code.
describe('calling a task with wrong arguments', () => {
  const ERROR = { name: 'InvalidArgumentsError', code: 'JM_INVALID_ARGUMENTS' };

  test('an unknown parameter names the task, the parameter and its value', () => {
    const resize = registry.get('plain_functions', 'resize')!;
    expect(() => resize.invoke({ path: '/a', extra: [1] }, undefined)).toThrow(
      expect.objectContaining({ ...ERROR, task: 'plain_functions.resize', parameter: 'extra', value: [1] }),
    );
  });

  test('a missing required parameter names the task and the parameter', () => {
    const resize = registry.get('plain_functions', 'resize')!;
    expect(() => resize.invoke({}, undefined)).toThrow(
      expect.objectContaining({ ...ERROR, task: 'plain_functions.resize', parameter: 'path', value: undefined }),
    );
  });
});
