/** One parameter as written in a function's source text. */
export interface SourceParameter {
  name: string;
  /** Source text of the default expression, or null when there is none. */
  defaultText: string | null;
}

/** Why a parameter list cannot be read as plain named parameters. */
export class UnsupportedParameterError extends Error {
  constructor(
    readonly position: number,
    message: string,
  ) {
    super(message);
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Reads parameter names and default-value texts from `fn.toString()`.
 * Runtime source of functions, methods and arrows keeps names and defaults (types are
 * erased), so this is the one place that knows `foo(a, b = 2)`. Destructured and rest
 * parameters have no single name and are rejected with {@link UnsupportedParameterError}.
 */
export function readParameters(fn: Function): SourceParameter[] {
  const source = Function.prototype.toString.call(fn);
  const bareArrow = /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(source);
  if (bareArrow) return [{ name: bareArrow[1]!, defaultText: null }];
  const open = source.indexOf('(');
  if (open < 0) throw new UnsupportedParameterError(-1, 'its parameter list cannot be read from its source');
  const pieces = splitTopLevel(source, open + 1);
  return pieces.map((raw, position) => {
    const text = raw.trim();
    if (text.startsWith('...')) {
      throw new UnsupportedParameterError(position, `rest parameter "${text}" is not supported: declare named parameters`);
    }
    if (text.startsWith('{') || text.startsWith('[')) {
      throw new UnsupportedParameterError(
        position,
        `destructured parameter at position ${position + 1} is not supported: give it a name and destructure inside the function`,
      );
    }
    const eq = text.indexOf('=');
    const name = (eq < 0 ? text : text.slice(0, eq)).trim();
    if (!IDENTIFIER.test(name)) {
      throw new UnsupportedParameterError(position, `parameter "${name}" at position ${position + 1} cannot be read`);
    }
    return { name, defaultText: eq < 0 ? null : text.slice(eq + 1).trim() };
  });
}

/**
 * Splits the text after an opening parenthesis at top-level commas up to the matching
 * closing parenthesis, skipping strings, template literals and comments.
 */
function splitTopLevel(source: string, start: number): string[] {
  const pieces: string[] = [];
  let current = '';
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    const c = source[i]!;
    if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 1;
      current += ' ';
      continue;
    }
    if (c === '/' && source[i + 1] === '/') {
      const end = source.indexOf('\n', i);
      i = end < 0 ? source.length : end;
      current += ' ';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      const end = skipString(source, i);
      current += source.slice(i, end + 1);
      i = end;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) {
        if (current.trim() !== '' || pieces.length > 0) pieces.push(current);
        return pieces.filter((p, idx) => p.trim() !== '' || idx < pieces.length - 1);
      }
      depth--;
    }
    if (c === ',' && depth === 0) {
      pieces.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  throw new UnsupportedParameterError(-1, 'its parameter list cannot be read from its source');
}

/** Index of the quote closing the string that opens at `start`. */
function skipString(source: string, start: number): number {
  const quote = source[start];
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === quote) return i;
  }
  return source.length;
}
