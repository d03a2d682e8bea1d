import { runInNewContext } from 'node:vm';
import { beforeEach, describe, expect, it } from 'vitest';
import { readParameters, UnsupportedParameterError } from '../../packages/jobmaster/src/registry/function-signature.js';
import { registry } from '../../packages/jobmaster/src/registry/index.js';
import { loadFixtures } from './load-fixture.js';

beforeEach(() => registry.clear());

/** A function evaluated from exact source text (vitest's transform would reprint a function written inline). */
function fromSource(source: string): Function {
  return runInNewContext(source) as Function;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('parameter lists are parsed, not pattern-matched', () => {
  it.each([
    [
      'a regex holding a parenthesis',
      '(function f(a = /\\)/, b = 2) {})',
      [
        ['a', '/\\)/'],
        ['b', '2'],
      ],
    ],
    [
      'comments holding brackets and commas',
      '(function f(a /* ), ( */, // b) {\n b = 1) {})',
      [
        ['a', null],
        ['b', '1'],
      ],
    ],
    [
      'defaults containing commas',
      '(function f(a = [1, 2], b = { c: 1, d: [3, 4] }, c = 3) {})',
      [
        ['a', '[1, 2]'],
        ['b', '{ c: 1, d: [3, 4] }'],
        ['c', '3'],
      ],
    ],
    [
      'brackets inside strings and templates',
      "(function f(a = ')', b = \"(\", c = `}{)`, d = '\\')', e = 5) {})",
      [
        ['a', "')'"],
        ['b', '"("'],
        ['c', '`}{)`'],
        ['d', "'\\')'"],
        ['e', '5'],
      ],
    ],
    ['a bare arrow', '(x => x)', [['x', null]]],
    [
      'an async arrow with a default',
      '(async (x, y = -1) => x)',
      [
        ['x', null],
        ['y', '-1'],
      ],
    ],
    [
      'an object method',
      '({ async *m(a, b = [")"]) {} }).m',
      [
        ['a', null],
        ['b', '[")"]'],
      ],
    ],
    ['a static class method', '(class { static async m(a = { "}": 1 }) {} }).m', [['a', '{ "}": 1 }']]],
    [
      'a method with a computed name',
      "({ ['x' + ')'](a, b) {} })['x)']",
      [
        ['a', null],
        ['b', null],
      ],
    ],
    [
      'a parenthesized default',
      '(function f(a = (1), b) {})',
      [
        ['a', '(1)'],
        ['b', null],
      ],
    ],
  ])('%s', (_case, source, expected) => {
    const parameters = readParameters(fromSource(source));
    expect(parameters.map((p) => [p.name, p.defaultText])).toEqual(expected);
  });

  it.each([
    [
      '(function f(a, { b }) {})',
      'destructured parameter at position 2 is not supported: give it a name and destructure inside the function',
    ],
    [
      '(function f([a] = []) {})',
      'destructured parameter at position 1 is not supported: give it a name and destructure inside the function',
    ],
    ['(function f(a, ...rest) {})', 'rest parameter "...rest" is not supported: declare named parameters'],
    ['Math.max', 'its parameter list cannot be read from its source'],
    ['(function f() {}).bind(null)', 'its parameter list cannot be read from its source'],
  ])('rejects %s', (source, message) => {
    const fn = fromSource(source);
    expect(() => readParameters(fn)).toThrow(UnsupportedParameterError);
    expect(() => readParameters(fn)).toThrow(new RegExp(`^${escapeRegExp(message)}$`));
  });
});

describe('brackets inside strings of the decorator or the signature lose nothing', () => {
  it('a ")" in a string of the decorator options keeps the TSDoc help', async () => {
    await loadFixtures('tricky/decorator_strings.ts');
    const smile = registry.get('decorator_strings', 'smile')!;
    expect(smile.description).toBe('Replies with a smiley.');
    expect(smile.parameters.map((p) => [p.name, p.help, p.default])).toEqual([
      ['mood', 'How the reply looks.', ':)'],
      ['times', 'How often, {at least} once', 1],
    ]);
  });

  it('a comment marker in a string of the decorator options keeps the TSDoc help', async () => {
    await loadFixtures('tricky/decorator_strings.ts');
    const echo = registry.get('decorator_strings', 'echo')!;
    expect(echo.description).toBe('Echoes a comment marker.');
    expect(echo.parameters.map((p) => [p.name, p.help, p.selectFrom])).toEqual([
      ['marker', 'Text that opens or closes a comment.', ['*/', '/**', '{']],
    ]);
  });

  it('a regex default holding ")" keeps the parameters after it', async () => {
    await loadFixtures('tricky/regex_default.ts');
    const count = registry.get('regex_default', 'count')!;
    expect(count.parameters.map((p) => [p.name, p.type, p.default, p.help])).toEqual([
      ['pattern', 'string', '\\)', 'What to look for.'],
      ['limit', 'number', 2, 'At most this many.'],
    ]);
    expect(count.invoke({ limit: 5 }, undefined)).toBe(2);
  });

  it('TypeScript syntax that JavaScript tokenizes differently costs no help text', async () => {
    await loadFixtures('tricky/typescript_syntax.ts');
    const scale = registry.get('typescript_syntax', 'scale')!;
    expect(scale.description).toBe('Scales a value.');
    expect(scale.parameters.map((p) => [p.name, p.type, p.help])).toEqual([['value', 'number', 'What to scale.']]);
    expect(scale.invoke({ value: 3 }, undefined)).toBe(12);
  });
});
