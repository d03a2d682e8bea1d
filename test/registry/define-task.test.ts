import { beforeEach, describe, expect, it } from 'vitest';
import { JobContext, registry } from '../../packages/jobmaster/src/registry/index.js';
import { importFixture, loadFixtures, rejection } from './load-fixture.js';

beforeEach(() => registry.clear());

describe('defineTask', () => {
  it('registers a plain function with declared types, returning the function', async () => {
    await loadFixtures('valid/*.ts');
    const resize = registry.get('plain_functions', 'resize')!;
    expect(resize.description).toBe('Resizes an image.');
    expect(resize.parameters).toEqual([
      { name: 'path', position: 0, type: 'string', required: true, selectFrom: null, help: 'Image to resize.' },
      { name: 'width', position: 1, type: 'integer', required: false, default: 320, selectFrom: [320, 640], help: null },
    ]);
    expect(resize.dependencies).toEqual([
      {
        typeKey: 'nice_tasks',
        taskKey: 'foo',
        hours: 1,
        arguments: { file_path: { kind: 'same', parameter: 'path', ops: [] }, number: { kind: 'value', value: 1 } },
      },
    ]);
    expect(resize.invoke({ path: '/img' }, new JobContext({ jobId: '9' }))).toBe('/img@320:9');
    const module = await importFixture<{ resize: Function }>('valid/plain_functions.ts');
    expect(module.resize.name).toBe('resize');
  });

  it('uses taskKey for functions without parameters', async () => {
    await loadFixtures('valid/*.ts');
    expect(registry.get('plain_functions', 'ping')!.invoke({}, undefined)).toBe('pong');
  });

  it('requires every parameter type to be declared', async () => {
    const error = await rejection(loadFixtures('invalid/define_task_undeclared.ts'));
    expect(error.message).toBe(
      `Task define_task_undeclared.run: plain functions carry no type metadata: declare the type of "b" in params, e.g. params: { b: { type: 'string' } }`,
    );
  });

  it('rejects declarations of parameters the function does not have', async () => {
    const error = await rejection(loadFixtures('invalid/define_task_extra_param.ts'));
    expect(error.message).toContain('params declares "c", which is not a parameter (parameters: a)');
  });
});
