import { describe, expect, it } from 'vitest';
import { NotALiteralError, parseLiteral } from '../../packages/jobmaster/src/registry/json-values.js';
import { readParameters } from '../../packages/jobmaster/src/registry/function-signature.js';

describe('default values are read as literals, never evaluated', () => {
  it.each([
    ['2', 2],
    ['-1.5e3', -1500],
    ['1_000', 1000],
    ['"a,b)"', 'a,b)'],
    ["'it\\'s'", "it's"],
    ['`plain`', 'plain'],
    ['true', true],
    ['null', null],
    ['[]', []],
    ["[1, 'two', [3],]", [1, 'two', [3]]],
    ['{ a: 1, "b c": [true], }', { a: 1, 'b c': [true] }],
    ['-0.5', -0.5],
    ['+3', 3],
    ['0x10', 16],
    ['`two\nlines`', 'two\nlines'],
    ['{ 1: "one", "x)": -2, nested: { deep: [null] } }', { 1: 'one', 'x)': -2, nested: { deep: [null] } }],
    ['/* a comment */ [")", "(", "}"] // trailing', [')', '(', '}']],
    ['(7)', 7],
  ])('%s', (text, value) => {
    expect(parseLiteral(text)).toEqual(value);
  });

  it.each([
    'LIMIT',
    'Date.now()',
    '1 + 1',
    '`${x}`',
    'undefined',
    'NaN',
    '[...a]',
    '{ __proto__: 1 } + 1',
    '"a" "b"',
    '/\\)/',
    '10n',
    '1e999',
    '-"a"',
    '- -1',
    '[1, , 2]',
    '{ a }',
    '{ [key]: 1 }',
    '{ m() {} }',
    '{ get a() { return 1 } }',
    '{ ...a }',
    '1, 2',
    '',
  ])('rejects %s', (text) => {
    expect(() => parseLiteral(text)).toThrow(NotALiteralError);
  });

  it('keeps a "__proto__" key as data', () => {
    const value = parseLiteral('{ "__proto__": { polluted: true } }') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
  });
});

describe('parameter names and defaults come from the function source', () => {
  it('reads methods, functions and arrows', () => {
    const host = {
      method(a: string, b = 'x, (y)', /* note */ c = { d: [1, 2] }) {
        return [a, b, c];
      },
    };
    expect(readParameters(host.method)).toEqual([
      { name: 'a', defaultText: null },
      // esbuild (vitest's transform) rewrites quotes; the text is still the literal.
      { name: 'b', defaultText: expect.stringMatching(/^["']x, \(y\)["']$/) as unknown as string },
      { name: 'c', defaultText: '{ d: [1, 2] }' },
    ]);
    expect(readParameters(async (x: number) => x)).toEqual([{ name: 'x', defaultText: null }]);
    expect(readParameters(function none() {})).toEqual([]);
  });
});
