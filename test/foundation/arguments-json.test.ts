// The TypeScript door's arguments become JSON text exactly as given, or are refused naming the
// task and the parameter: nothing JSON.stringify would change without a word gets through.
import { InvalidArgumentsError } from '../../packages/jobmaster/src/errors.js';
import { expect, test } from 'vitest';
import { argumentsJson } from '../../packages/jobmaster/src/jobs/arguments-json.js';

const circular: Record<string, unknown> = {};
circular.self = circular;
class Point {
  x = 1;
}
const deep = (levels: number): unknown => (levels === 0 ? 1 : [deep(levels - 1)]);

test.each([
  ['NaN', { n: NaN }, 'parameter "n" holds NaN, which JSON cannot hold'],
  ['Infinity', { n: -Infinity }, 'parameter "n" holds -Infinity, which JSON cannot hold'],
  ['a NUL character', { s: 'a\u0000b' }, 'parameter "s" holds a NUL character (\\u0000), which PostgreSQL cannot store'],
  ['a lone high surrogate', { s: 'x\ud800' }, 'parameter "s" holds a lone surrogate (\\uD800), which is not Unicode text'],
  ['a lone low surrogate', { s: ['\udc00y'] }, 'parameter "s" holds a lone surrogate (\\uDC00), which is not Unicode text'],
  ['a function', { f: () => 1 }, 'parameter "f" holds a function, which JSON cannot hold'],
  ['a symbol', { s: Symbol('x') }, 'parameter "s" holds a symbol, which JSON cannot hold'],
  ['a bigint', { b: 10n }, 'parameter "b" holds the bigint 10n, which JSON cannot hold: pass a number or a string'],
  ['a Map', { m: new Map([['a', 1]]) }, 'parameter "m" holds a Map, which JSON has no type for: pass Object.fromEntries(map)'],
  ['a Set', { m: { inner: new Set([1]) } }, 'parameter "m" holds a Set, which JSON has no type for'],
  ['a Date', { when: new Date(0) }, 'parameter "when" holds a Date, which JSON has no type for: pass date.toISOString()'],
  ['a class instance', { p: new Point() }, 'parameter "p" holds a Point, which JSON has no type for'],
  ['undefined in an array', { a: [1, undefined] }, 'parameter "a" holds undefined in an array, which JSON writes as null: pass null'],
  ['a circular reference', { c: circular }, 'parameter "c" holds a circular reference, which JSON cannot hold'],
  ['101 levels of nesting', { d: deep(101) }, 'parameter "d" is nested more than 100 levels deep'],
  ['null arguments', null, 'arguments must be a JSON object, got null'],
  ['array arguments', [1], 'arguments must be a JSON object, got array'],
  ['a Map as the arguments', new Map(), 'arguments must be a JSON object, got a Map'],
  ['a string as the arguments', 'x', 'arguments must be a JSON object, got string'],
])('%s is refused with the task and the parameter named', (_name, args, message) => {
  let error: unknown;
  try {
    argumentsJson('things1.foo', args);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidArgumentsError);
  expect((error as Error).message).toBe(`things1.foo: ${message}`);
  expect((error as InvalidArgumentsError).task).toBe('things1.foo');
});

test('what JSON holds goes through unchanged; an undefined parameter is left out', () => {
  const args = { s: 'é😀', n: -1.5, i: 2 ** 60, b: false, z: null, a: [1, [2, {}]], o: { k: 'v' }, u: undefined, d: deep(99) };
  const { u, ...rest } = args;
  void u;
  expect(JSON.parse(argumentsJson('things1.foo', args))).toEqual(rest);
  expect(argumentsJson('things1.foo', Object.assign(Object.create(null), { x: 1 }))).toBe('{"x":1}');
  expect(argumentsJson('things1.foo', undefined)).toBe('{}');
});
