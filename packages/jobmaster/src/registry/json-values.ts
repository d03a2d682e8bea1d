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
 * true/false/null, and arrays/objects of those (bare or quoted keys, trailing commas).
 * Never runs code; anything else throws {@link NotALiteralError}.
 */
export function parseLiteral(text: string): JsonValue {
  const parser = new LiteralParser(text);
  try {
    const value = parser.value();
    parser.end();
    return value;
  } catch (error) {
    // JSON.parse rejects what JS strings allow (raw newlines in `…`): still not a plain literal.
    if (error instanceof SyntaxError) throw new NotALiteralError(`not a literal: ${text}`);
    throw error;
  }
}

class LiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  end(): void {
    this.skipSpace();
    if (this.pos < this.text.length) this.fail();
  }

  value(): JsonValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '[') return this.array();
    if (c === '{') return this.object();
    if (c === '"' || c === "'" || c === '`') return this.string();
    if (c !== undefined && /[-+.\d]/.test(c)) return this.number();
    const word = /^[A-Za-z_$][\w$]*/.exec(this.text.slice(this.pos))?.[0];
    if (word === 'true' || word === 'false' || word === 'null') {
      this.pos += word.length;
      return word === 'null' ? null : word === 'true';
    }
    return this.fail();
  }

  private array(): JsonValue[] {
    this.pos++;
    const items: JsonValue[] = [];
    while (!this.take(']')) {
      items.push(this.value());
      if (!this.take(',')) {
        this.expect(']');
        break;
      }
    }
    return items;
  }

  private object(): { [key: string]: JsonValue } {
    this.pos++;
    const result: { [key: string]: JsonValue } = {};
    while (!this.take('}')) {
      this.skipSpace();
      const c = this.text[this.pos];
      let key: string;
      if (c === '"' || c === "'") key = this.string();
      else {
        const word = /^[A-Za-z_$][\w$]*|^\d+/.exec(this.text.slice(this.pos))?.[0];
        if (word === undefined) return this.fail();
        this.pos += word.length;
        key = word;
      }
      this.expect(':');
      Object.defineProperty(result, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      if (!this.take(',')) {
        this.expect('}');
        break;
      }
    }
    return result;
  }

  private string(): string {
    const quote = this.text[this.pos]!;
    let body = '';
    for (this.pos++; this.pos < this.text.length; this.pos++) {
      const c = this.text[this.pos]!;
      if (c === quote) {
        this.pos++;
        return quote === '"' ? (JSON.parse(`"${body}"`) as string) : (JSON.parse(`"${reQuote(body)}"`) as string);
      }
      if (quote === '`' && c === '$' && this.text[this.pos + 1] === '{') this.fail();
      if (c === '\\') {
        body += c + (this.text[++this.pos] ?? '');
        continue;
      }
      body += c;
    }
    return this.fail();
  }

  private number(): number {
    const match = /^[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d+)?/.exec(this.text.slice(this.pos));
    if (!match) return this.fail();
    this.pos += match[0].length;
    const n = Number(match[0].replaceAll('_', ''));
    if (!Number.isFinite(n)) this.fail();
    return n;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private take(c: string): boolean {
    this.skipSpace();
    if (this.text[this.pos] !== c) return false;
    this.pos++;
    return true;
  }

  private expect(c: string): void {
    if (!this.take(c)) this.fail();
  }

  private fail(): never {
    throw new NotALiteralError(`not a literal: ${this.text}`);
  }
}

/** Turns the body of a '…' or `…` string into the body of an equivalent "…" JSON string. */
function reQuote(body: string): string {
  return body.replace(/\\(.)|"/gs, (all, escaped: string | undefined) => {
    if (escaped === undefined) return '\\"';
    return escaped === "'" || escaped === '`' ? escaped : all;
  });
}
