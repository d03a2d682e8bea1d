import { beforeEach, describe, expect, it } from 'vitest';
import { TaskLoadError, TaskRegistrationError } from '../../packages/jobmaster/src/errors.js';
import { registry } from '../../packages/jobmaster/src/registry/index.js';
import { FIXTURES, loadFixtures, rejection } from './load-fixture.js';

beforeEach(() => registry.clear());

// TaskRegistrationError may come from the fixture's own copy of the registry module: compare by name and code.
async function registrationError(file: string): Promise<Error & { task: string; problem: string }> {
  const error = await rejection(loadFixtures(file));
  expect(error.name).toBe('TaskRegistrationError');
  expect((error as TaskRegistrationError).code).toBe('JM_TASK_REGISTRATION');
  return error as Error & { task: string; problem: string };
}

describe('a task whose signature cannot be determined is rejected at registration, naming it', () => {
  it('compiled JavaScript without design:paramtypes', async () => {
    const error = await registrationError('no-metadata/compiled_tasks.js');
    expect(error.task).toBe('compiled_tasks.copy');
    expect(error.message).toContain('no design:paramtypes metadata');
    expect(error.message).toContain('emitDecoratorMetadata');
    expect(error.message).toContain('"from", "to"');
  });

  it('compiled JavaScript without metadata registers when params declares every type', async () => {
    await loadFixtures('no-metadata/declared_types.js');
    const copy = registry.get('declared_types', 'copy')!;
    expect(copy.parameters.map((p) => [p.name, p.type, p.default])).toEqual([
      ['from', 'string', undefined],
      ['times', 'integer', 2],
    ]);
    expect(copy.invoke({ from: 'a' }, undefined)).toBe('ax2');
  });

  it('a parameter typed with an interface (Object at runtime)', async () => {
    const error = await registrationError('invalid/ambiguous_object.ts');
    expect(error.message).toMatch(/^Task ambiguous_object\.run: parameter "options" has no single JSON type at runtime/);
    expect(error.message).toContain('declare its type in params');
  });

  it('a parameter typed with a union', async () => {
    const error = await registrationError('invalid/union_param.ts');
    expect(error.problem).toContain('parameter "value" has no single JSON type');
  });

  it('a default that is not a literal', async () => {
    const error = await registrationError('invalid/bad_default.ts');
    expect(error.problem).toContain('default of parameter "limit" (LIMIT * 2) must be a literal; declare it in params');
  });

  it('destructured and rest parameters', async () => {
    expect((await registrationError('invalid/destructured.ts')).problem).toContain('destructured parameter at position 1 is not supported');
    expect((await registrationError('invalid/rest_param.ts')).problem).toContain('rest parameter "...names" is not supported');
  });

  it('a JobContext parameter that is not last', async () => {
    expect((await registrationError('invalid/context_not_last.ts')).problem).toContain('"job" must be the last parameter');
  });

  it('a task key that is not an identifier', async () => {
    expect((await registrationError('invalid/bad_task_key.ts')).problem).toContain('task key "no spaces" must match');
  });
});

describe('select-from and write-all declarations are checked', () => {
  it('a write-all parameter without select-from values', async () => {
    const error = await registrationError('invalid/write_all_without_select_from.ts');
    expect(error.problem).toContain('write-all parameter "b" has no select-from values');
  });

  it('a default outside the select-from values', async () => {
    expect((await registrationError('invalid/default_outside_select_from.ts')).problem).toContain(
      'default of "letter" ("Z") is not one of its select-from values',
    );
  });

  it('a select-from value of the wrong type', async () => {
    expect((await registrationError('invalid/select_from_wrong_type.ts')).problem).toContain(
      'select-from value 2.5 of "n" is not an integer',
    );
  });
});

describe('duplicate keys', () => {
  it('two files declaring the same type and task key fail, naming both files', async () => {
    const error = await registrationError('duplicate/*.ts');
    expect(error.task).toBe('shared.run');
    expect(error.message).toContain(`${FIXTURES}/duplicate/first.ts`);
    expect(error.message).toContain(`${FIXTURES}/duplicate/second.ts`);
  });

  it('a module evaluated twice replaces its own tasks', async () => {
    await loadFixtures('same-file/reloaded.ts');
    await loadFixtures('same-file/reloaded.ts');
    expect(registry.definitions().map((d) => `${d.typeKey}.${d.taskKey}`)).toEqual(['reloaded.run']);
  });
});

describe('loading task modules', () => {
  it('loads matching files in sorted order and returns their paths', async () => {
    const { files } = await loadFixtures('valid/*.ts');
    expect(files).toEqual([
      `${FIXTURES}/valid/bare_decorator.ts`,
      `${FIXTURES}/valid/nice_tasks.ts`,
      `${FIXTURES}/valid/plain_functions.ts`,
    ]);
  });

  it('fails with TaskLoadError naming the patterns and directory when nothing matches', async () => {
    const error = await rejection(loadFixtures('nowhere/*.ts', 'missing.ts'));
    expect(error).toBeInstanceOf(TaskLoadError);
    expect(error.message).toBe(`No task modules match "nowhere/*.ts", "missing.ts" in ${FIXTURES}`);
  });

  it('wraps an error thrown by a module, keeping it as the cause', async () => {
    const error = await rejection(loadFixtures('invalid/throws_on_load.ts'));
    expect(error).toBeInstanceOf(TaskLoadError);
    expect(error.message).toBe('Could not load task module invalid/throws_on_load.ts: database password missing');
    expect((error.cause as Error).message).toBe('database password missing');
  });
});
