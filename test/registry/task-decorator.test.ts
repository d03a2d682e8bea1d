import { beforeEach, describe, expect, it } from 'vitest';
import { JobContext, currentJobOrNull, registry } from '../../packages/jobmaster/src/registry/index.js';
import { FIXTURES, loadFixtures } from './load-fixture.js';

beforeEach(() => registry.clear());

describe('@task on class methods', () => {
  it('registers the type key from the module file name and the task key from the method name', async () => {
    await loadFixtures('valid/nice_tasks.ts');
    const keys = registry.definitions().map((d) => `${d.typeKey}.${d.taskKey}`);
    expect(keys).toEqual(['cool_tasks.baz', 'nice_tasks.bar', 'nice_tasks.fanOut', 'nice_tasks.foo']);
    expect(registry.get('nice_tasks', 'foo')?.sourceFile).toBe(`${FIXTURES}/valid/nice_tasks.ts`);
  });

  it('reads names from the source, types from design:paramtypes and narrows declared integers', async () => {
    await loadFixtures('valid/nice_tasks.ts');
    const foo = registry.get('nice_tasks', 'foo')!;
    expect(foo.parameters).toEqual([
      { name: 'file_path', position: 0, type: 'string', required: true, selectFrom: null, help: 'Where to write the number.' },
      { name: 'number', position: 1, type: 'integer', required: true, selectFrom: null, help: 'The number to write, spanning two lines.' },
    ]);
    expect(foo).toMatchObject({ processUnits: 1, retries: 2, retryDelaySeconds: 5, writeAll: [], dependencies: [] });
    expect(foo.description).toBe('Writes a number to a file.');
  });

  it('evaluates literal defaults and infers the type of unannotated parameters from them', async () => {
    await loadFixtures('valid/nice_tasks.ts');
    const fanOut = registry.get('nice_tasks', 'fanOut')!;
    expect(fanOut.parameters.map((p) => [p.name, p.type, p.required, p.default])).toEqual([
      ['size', 'integer', true, undefined],
      ['tags', 'array', false, []],
      ['options', 'object', false, { deep: true }],
      ['flag', 'boolean', false, false],
      ['ratio', 'number', false, -1500],
      ['label', 'string', false, "it's"],
    ]);
    expect(fanOut.writeAll).toEqual(['size']);
    expect(fanOut.parameters[0]!.selectFrom).toEqual([1, 2, 3]);
  });

  it('takes select-from values and help from params, over TSDoc', async () => {
    await loadFixtures('valid/nice_tasks.ts');
    const bar = registry.get('nice_tasks', 'bar')!;
    expect(bar.parameters[2]).toEqual({
      name: 'letter',
      position: 2,
      type: 'string',
      required: false,
      default: 'A',
      selectFrom: ['A', 'B', 'C'],
      help: 'Which letter (from params)',
    });
    expect(bar.description).toBe('Adds a letter. @param letter not a tag at line start, so part of the description');
  });

  it('applies typeKey, processUnits, retries and description options', async () => {
    await loadFixtures('valid/nice_tasks.ts');
    expect(registry.get('cool_tasks', 'baz')).toMatchObject({
      typeKey: 'cool_tasks',
      processUnits: 3,
      retries: 0,
      retryDelaySeconds: 1.5,
      description: 'Set by the option',
    });
  });

  it('accepts @task without parentheses', async () => {
    await loadFixtures('valid/bare_decorator.ts');
    const plain = registry.get('bare_decorator', 'plain')!;
    expect(plain.parameters.map((p) => [p.name, p.type])).toEqual([['count', 'number']]);
    expect(plain.description).toBe('Like the Python original: `@task` with no parentheses.');
    expect(plain.invoke({ count: 4 }, undefined)).toBe(8);
  });

  it('leaves a JobContext parameter out of the task parameters', async () => {
    await loadFixtures('valid/nice_tasks.ts');
    expect(registry.get('cool_tasks', 'baz')!.parameters.map((p) => p.name)).toEqual(['path', 'count']);
  });
});

describe('invoke', () => {
  it('maps named arguments to positions and fills defaults', async () => {
    await loadFixtures('valid/nice_tasks.ts');
    expect(registry.get('nice_tasks', 'bar')!.invoke({ number: 4, file_path: '/tmp/x' }, undefined)).toBe('/tmp/x4A');
    expect(registry.get('nice_tasks', 'foo')!.invoke({ number: 2, file_path: '/f' }, undefined)).toBe('/f:2');
  });

  it('runs instance methods on a fresh instance', async () => {
    await loadFixtures('valid/nice_tasks.ts');
    const result = await registry.get('nice_tasks', 'fanOut')!.invoke({ size: 2, tags: ['x'] }, undefined);
    expect(result).toEqual([2, ['x'], { deep: true }, false, -1500, "it's", true]);
  });

  it('passes the JobContext as the context parameter and as currentJob()', async () => {
    await loadFixtures('valid/nice_tasks.ts');
    const job = new JobContext({ jobId: '42', attempt: 2 });
    const result = registry.get('cool_tasks', 'baz')!.invoke({ path: '/p', count: 3 }, job);
    expect(result).toEqual({ path: '/p', count: 3, jobId: '42', same: true });
    expect(currentJobOrNull()).toBeNull();
  });

  it('builds a JobContext from plain fields', async () => {
    await loadFixtures('valid/nice_tasks.ts');
    const signal = new AbortController().signal;
    const result = registry.get('cool_tasks', 'baz')!.invoke({ path: '/p', count: 1 }, { jobId: '7', attempt: 1, signal });
    expect(result).toMatchObject({ jobId: '7', same: true });
  });

  it('rejects unknown and missing arguments', async () => {
    await loadFixtures('valid/nice_tasks.ts');
    const foo = registry.get('nice_tasks', 'foo')!;
    expect(() => foo.invoke({ file_path: 'x' }, undefined)).toThrow('required parameter "number" is missing');
    expect(() => foo.invoke({ file_path: 'x', number: 1, extra: 1 }, undefined)).toThrow('unknown parameter "extra"');
  });
});
