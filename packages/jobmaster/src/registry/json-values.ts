import type { Expression, SpreadElement } from 'acorn';
import { lazyRequire } from '../util/lazy-require.js';

const acorn = lazyRequire<typeof import('acorn')>('acorn');
import type { JsonType, JsonValue } from './task-definition.js';

/** The JSON types a parameter may declare, in the order they are listed to users. */
export const JSON_TYPES: readonly JsonType[] = ['string', 'integer', 'number', 'boolean', 'object', 'array', 'null'];

/** True when `value` is accepted by a parameter of JSON type `type`. */
export function isOfType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}

/** The JSON type a literal value has ('integer' for whole numbers). */
export function typeOfValue(value: JsonValue): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  return 'object';
}

/** Deep equality of two JSON values (object key order does not matter). */
export function jsonEquals(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEquals(v, b[i]!));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => k in b && jsonEquals(a[k]!, b[k]!));
}

/** True when `value` is a JSON value made only of plain data (no functions, NaN, undefined, class instances). */
export function isJsonValue(value: unknown): value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    return (proto === Object.prototype || proto === null) && Object.values(value).every(isJsonValue);
  }
  return false;
}

/** Thrown by {@link parseLiteral} when the text is not a plain literal. */
export class NotALiteralError extends Error {}

/**
 * Evaluates the source text of a default value, accepting only JSON-like literals:
 * numbers (with sign, exponent, `_` separators), strings in '', "" or `` (no `${}`),
 * true/false/null, and arrays/objects of those (bare, quoted or numeric keys, trailing
 * commas). The text is parsed with acorn and the tree walked; code never runs, and
 * anything else (names, calls, operators, regexes, spreads) throws {@link NotALiteralError}.
 */
export function parseLiteral(text: string): JsonValue {
  const fail = (): never => {
    throw new NotALiteralError(`not a literal: ${text}`);
  };
  return literalValue(parseExpression(text) ?? fail(), fail);
}

/** The one expression `text` holds (comments around it allowed), or null. */
function parseExpression(text: string): Expression | null {
  try {
    const { parseExpressionAt, tokenizer, tokTypes } = acorn();
    const node = parseExpressionAt(text, 0, { ecmaVersion: 'latest', preserveParens: true });
    const rest = tokenizer(text.slice(node.end), { ecmaVersion: 'latest' }).getToken();
    return rest.type === tokTypes.eof ? node : null;
  } catch (error) {
    if (error instanceof SyntaxError) return null;
    throw error;
  }
}

function literalValue(node: Expression | SpreadElement | null, fail: () => never): JsonValue {
  switch (node?.type) {
    case 'ParenthesizedExpression':
      return literalValue(node.expression, fail);
    case 'Literal': {
      const value = node.value;
      if (typeof value === 'string' || typeof value === 'boolean') return value;
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      // A regex the running engine cannot build also has the value null.
      if (value === null && node.raw === 'null') return null;
      return fail();
    }
    case 'UnaryExpression':
      if ((node.operator !== '-' && node.operator !== '+') || node.argument.type !== 'Literal' || typeof node.argument.value !== 'number') {
        return fail();
      }
      return node.operator === '-' ? -node.argument.value : node.argument.value;
    case 'TemplateLiteral': {
      const cooked = node.quasis[0]?.value.cooked;
      if (node.expressions.length > 0 || typeof cooked !== 'string') return fail();
      return cooked;
    }
    case 'ArrayExpression':
      return node.elements.map((element) => literalValue(element, fail));
    case 'ObjectExpression': {
      const result: { [key: string]: JsonValue } = {};
      for (const property of node.properties) {
        if (property.type !== 'Property' || property.kind !== 'init' || property.method || property.shorthand || property.computed) {
          return fail();
        }
        const key = property.key;
        const name =
          key.type === 'Identifier'
            ? key.name
            : key.type === 'Literal' && (typeof key.value === 'string' || typeof key.value === 'number')
              ? String(key.value)
              : fail();
        // defineProperty: a "__proto__" key is data, never the prototype.
        Object.defineProperty(result, name, {
          value: literalValue(property.value, fail),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return result;
    }
    default:
      return fail();
  }
}
