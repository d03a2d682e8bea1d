import { InvalidArgumentsError } from '../errors.js';

/** How deep a value may be nested: the limit every door applies (the database's unsafe_value). */
export const MAX_NESTING = 100;

/**
 * A job's arguments as JSON text, exactly as given, for the database to validate. Refuses,
 * naming the task and the parameter, what JSON or PostgreSQL cannot hold faithfully and what
 * `JSON.stringify` would change without a word: NaN and ±Infinity (written as null), NUL
 * characters and lone surrogates (PostgreSQL refuses them), functions, symbols and bigints
 * (dropped or thrown), Maps, Sets, Dates and other class instances (written as {} or a
 * string), `undefined` inside an array (written as null), cycles, and nesting deeper than
 * {@link MAX_NESTING} levels. A parameter whose value is `undefined` is left out (its default
 * applies), as JSON does.
 */
export function argumentsJson(task: string, args: unknown): string {
  checkArguments(task, args, true);
  return args === undefined ? '{}' : JSON.stringify(args);
}

function checkArguments(task: string, args: unknown, checkNumbers: boolean): void {
  if (args === undefined) return;
  if (!isPlainObject(args)) {
    throw new InvalidArgumentsError(`${task}: arguments must be a JSON object, got ${describe(args)}`, { task, value: args });
  }
  for (const [name, value] of Object.entries(args)) {
    const problem = valueProblem(value, 1, new Set([args]), checkNumbers);
    if (problem !== null) {
      throw new InvalidArgumentsError(`${task}: parameter ${JSON.stringify(name)} ${problem}`, { task, parameter: name, value });
    }
  }
}

/**
 * Arguments given as JSON text (the CLI's `--json`), checked like {@link argumentsJson} and
 * returned as written, so that an integer beyond 2^53 reaches the database's rules as typed
 * rather than rounded by JSON.parse.
 */
export function argumentsFromJsonText(task: string, text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentsError(`${task}: arguments are not valid JSON (${(error as Error).message})`, { task, value: text });
  }
  // Its numbers are judged by the database as written (1e400 parses to Infinity here).
  checkArguments(task, parsed, false);
  return text;
}

/** What in a value JSON or PostgreSQL cannot hold faithfully ("holds ..."), or null. */
function valueProblem(value: unknown, depth: number, seen: Set<object>, checkNumbers: boolean): string | null {
  switch (typeof value) {
    case 'string':
      return stringProblem(value);
    case 'number':
      return !checkNumbers || Number.isFinite(value) ? null : `holds ${String(value)}, which JSON cannot hold`;
    case 'boolean':
    case 'undefined':
      return null;
    case 'bigint':
      return `holds the bigint ${String(value)}n, which JSON cannot hold: pass a number or a string`;
    case 'function':
    case 'symbol':
      return `holds a ${typeof value}, which JSON cannot hold`;
  }
  if (value === null) return null;
  if (depth > MAX_NESTING) return `is nested more than ${MAX_NESTING} levels deep`;
  const object = value as object;
  if (seen.has(object)) return 'holds a circular reference, which JSON cannot hold';
  if (Array.isArray(object)) {
    seen.add(object);
    for (const item of object) {
      if (item === undefined) return 'holds undefined in an array, which JSON writes as null: pass null';
      const problem = valueProblem(item, depth + 1, seen, checkNumbers);
      if (problem !== null) return problem;
    }
    seen.delete(object);
    return null;
  }
  if (!isPlainObject(object)) {
    const hint = object instanceof Date ? ': pass date.toISOString()' : object instanceof Map ? ': pass Object.fromEntries(map)' : '';
    return `holds ${describe(object)}, which JSON has no type for${hint}`;
  }
  seen.add(object);
  for (const item of Object.values(object)) {
    const problem = valueProblem(item, depth + 1, seen, checkNumbers);
    if (problem !== null) return problem;
  }
  seen.delete(object);
  return null;
}

// eslint-disable-next-line no-control-regex
const NUL_OR_LONE_SURROGATE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function stringProblem(text: string): string | null {
  const found = NUL_OR_LONE_SURROGATE.exec(text);
  if (found === null) return null;
  const code = found[0].charCodeAt(0);
  return code === 0
    ? 'holds a NUL character (\\u0000), which PostgreSQL cannot store'
    : `holds a lone surrogate (\\u${code.toString(16).toUpperCase()}), which is not Unicode text`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A value's kind as the messages name it: the JSON type, or the class of an object JSON cannot hold. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
    return name ? `a ${name}` : 'object';
  }
  return typeof value;
}
