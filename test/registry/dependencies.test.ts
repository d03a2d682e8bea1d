import { beforeEach, describe, expect, it } from 'vitest';
import { RegistryError, TaskRegistrationError } from '../../packages/jobmaster/src/errors.js';
import { Dependency, registry, same } from '../../packages/jobmaster/src/registry/index.js';
import { importFixture, loadFixtures, rejection } from './load-fixture.js';

beforeEach(() => registry.clear());

describe('Dependency()', () => {
  it('defaults to 30 days and clamps hours to [2 minutes, 30 days]', () => {
    expect(Dependency('a.b').hours).toBe(720);
    expect(Dependency('a.b', 0.001).hours).toBeCloseTo(2 / 60);
    expect(Dependency('a.b', 10_000).hours).toBe(720);
    expect(Dependency('a.b', 6).hours).toBe(6);
  });

  it('rejects non-positive and NaN hours', () => {
    for (const hours of [0, -1, Number.NaN]) {
      expect(() => Dependency('a.b', hours)).toThrow(TaskRegistrationError);
    }
    expect(() => Dependency('a.b', -1)).toThrow('hours must be a positive number, got -1');
  });
});

describe('same', () => {
  it('records the parameter and the arithmetic steps in order, leaving same unchanged', () => {
    const value = same.of('count').plus(1).times(2).minus(0.5).dividedBy(4);
    expect(value.parameter).toBe('count');
    expect(value.ops).toEqual([
      { op: '+', operand: 1 },
      { op: '*', operand: 2 },
      { op: '-', operand: 0.5 },
      { op: '/', operand: 4 },
    ]);
    expect(same.parameter).toBeNull();
    expect(same.ops).toEqual([]);
  });

  it('refuses division by zero and non-finite operands', () => {
    expect(() => same.dividedBy(0)).toThrow('cannot divide by zero');
    expect(() => same.plus(Number.POSITIVE_INFINITY)).toThrow('finite number');
  });
});

describe('resolving dependencies', () => {
  it('resolves thunks, strings and same into dependency definitions', async () => {
    await loadFixtures('valid/nice_tasks.ts');
    expect(registry.get('nice_tasks', 'bar')!.dependencies).toEqual([
      {
        typeKey: 'nice_tasks',
        taskKey: 'foo',
        hours: 6,
        arguments: { file_path: { kind: 'same', parameter: 'file_path', ops: [] }, number: { kind: 'value', value: 1 } },
      },
    ]);
    const baz = registry.get('cool_tasks', 'baz')!;
    expect(baz.dependencies).toEqual([
      {
        typeKey: 'nice_tasks',
        taskKey: 'foo',
        hours: 2,
        arguments: { number: { kind: 'value', value: 10 }, file_path: { kind: 'same', parameter: 'path', ops: [] } },
      },
      {
        typeKey: 'nice_tasks',
        taskKey: 'bar',
        hours: 2 / 60,
        arguments: {
          file_path: { kind: 'same', parameter: 'path', ops: [] },
          number: {
            kind: 'same',
            parameter: 'count',
            ops: [
              { op: '+', operand: 1 },
              { op: '*', operand: 2 },
            ],
          },
        },
      },
    ]);
  });

  it('finds the task registered for a function', async () => {
    const module = await importFixture<{ NiceTasks: { foo: Function } }>('valid/nice_tasks.ts');
    expect(registry.keysOf(module.NiceTasks.foo)).toEqual({ typeKey: 'nice_tasks', taskKey: 'foo' });
    expect(registry.definitionOf(module.NiceTasks.foo).taskKey).toBe('foo');
    expect(() => registry.definitionOf(() => 1)).toThrow(RegistryError);
  });

  it('a dependency on an unknown task is a RegistryError', async () => {
    await loadFixtures('registry-errors/unknown_dependency.ts');
    expect(() => registry.definitions()).toThrow(RegistryError);
    expect(() => registry.definitions()).toThrow('unknown_dependency.run: dependency 1 names unknown task elsewhere.missing');
  });

  it('a dependency cycle is a RegistryError showing the cycle', async () => {
    await loadFixtures('registry-errors/cycle.ts');
    const error = (() => {
      try {
        registry.definitions();
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a RegistryError');
    })();
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.message).toContain('Dependency cycle: cycle.a → cycle.b → cycle.c → cycle.a');
  });

  it('reports every bad dependency argument at once', async () => {
    await loadFixtures('registry-errors/bad_arguments.ts');
    const message = (await rejection(Promise.resolve().then(() => registry.definitions()))).message;
    const where = 'bad_arguments.dependent: dependency on bad_arguments.source';
    // Six bad arguments, and each of those six dependencies also leaves a required parameter out.
    expect(message).toContain('The task registry has 12 problems');
    expect(message).toContain(`${where}: gives no value for required parameter "size", so the dependency job could never be inserted`);
    expect(message).toContain(`${where}: argument "name" uses same.of("title"), but bad_arguments.dependent has no parameter "title"`);
    expect(message).toContain(`${where}: argument "colour" is not a parameter of bad_arguments.source`);
    expect(message).toContain(`${where}: argument "size" is "big", which is not of type integer`);
    expect(message).toContain(`${where}: argument "size" is 7, which is not one of its select-from values [1,2,3]`);
    expect(message).toContain(`${where}: arithmetic on "name", which is string, not a number`);
    expect(message).toContain(`${where}: argument "size" takes "count" (number) from the dependent, but "size" is integer`);
  });

  it('get() and definitions() refuse an invalid registry', async () => {
    await loadFixtures('registry-errors/unknown_dependency.ts');
    expect(() => registry.get('unknown_dependency', 'run')).toThrow(RegistryError);
  });
});
