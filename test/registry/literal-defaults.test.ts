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
  ])('%s', (text, value) => {
    expect(parseLiteral(text)).toEqual(value);
  });

  it.each(['LIMIT', 'Date.now()', '1 + 1', '`${x}`', 'undefined', 'NaN', '[...a]', '{ __proto__: 1 } + 1', '"a" "b"'])(
    'rejects %s',
    (text) => {
      expect(() => parseLiteral(text)).toThrow(NotALiteralError);
    },
  );
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
