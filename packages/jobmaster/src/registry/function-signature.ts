import type { Function as FunctionNode, Options } from 'acorn';
import { lazyRequire } from '../util/lazy-require.js';

const acorn = lazyRequire<typeof import('acorn')>('acorn');

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

// Script mode: sloppy-mode function sources parse too. Parenthesized defaults keep their text.
const PARSE_OPTIONS: Options = { ecmaVersion: 'latest', sourceType: 'script', preserveParens: true };

/**
 * Reads parameter names and default-value texts from `fn.toString()`.
 * Runtime source of functions, methods and arrows keeps names and defaults (types are
 * erased), so this is the one place that knows `foo(a, b = 2)`. The source is parsed with
 * acorn, so brackets and commas inside strings, regexes, templates and comments are never
 * mistaken for the list's own. Destructured and rest parameters have no single name and
 * are rejected with {@link UnsupportedParameterError}, as are sources that are not
 * JavaScript (native and bound functions).
 */
export function readParameters(fn: Function): SourceParameter[] {
  const source = Function.prototype.toString.call(fn);
  const parsed = parseFunction(source);
  if (parsed === null) throw new UnsupportedParameterError(-1, 'its parameter list cannot be read from its source');
  const { fn: node, text } = parsed;
  return node.params.map((param, position) => {
    if (param.type === 'Identifier') return { name: param.name, defaultText: null };
    if (param.type === 'AssignmentPattern' && param.left.type === 'Identifier') {
      return { name: param.left.name, defaultText: text.slice(param.right.start, param.right.end) };
    }
    if (param.type === 'RestElement') {
      const written = text.slice(param.start, param.end);
      throw new UnsupportedParameterError(position, `rest parameter "${written}" is not supported: declare named parameters`);
    }
    throw new UnsupportedParameterError(
      position,
      `destructured parameter at position ${position + 1} is not supported: give it a name and destructure inside the function`,
    );
  });
}

/**
 * The function node of a function's source and the text its offsets refer to, or null.
 * `toString()` gives a function or arrow expression, or a method definition (`async *m(a) {}`,
 * `[key](a) {}`, `#m(a) {}`, `get m() {}`), which parses only inside an object or a class body.
 */
function parseFunction(source: string): { fn: FunctionNode; text: string } | null {
  const wrappers: [string, string][] = [
    ['(', '\n)'],
    ['({ ', '\n})'],
    ['(class { ', '\n})'],
  ];
  for (const [before, after] of wrappers) {
    const text = before + source + after;
    let statement;
    try {
      const program = acorn().parse(text, PARSE_OPTIONS);
      if (program.body.length !== 1) continue;
      statement = program.body[0]!;
    } catch (error) {
      if (error instanceof SyntaxError) continue;
      throw error;
    }
    if (statement.type !== 'ExpressionStatement' || statement.expression.type !== 'ParenthesizedExpression') continue;
    const expression = statement.expression.expression;
    let fn: FunctionNode | null = null;
    if (expression.type === 'FunctionExpression' || expression.type === 'ArrowFunctionExpression') fn = expression;
    else if (expression.type === 'ObjectExpression' && expression.properties.length === 1) {
      const property = expression.properties[0]!;
      if (property.type === 'Property' && property.value.type === 'FunctionExpression') fn = property.value;
    } else if (expression.type === 'ClassExpression' && expression.body.body.length === 1) {
      const member = expression.body.body[0]!;
      if (member.type === 'MethodDefinition') fn = member.value;
    }
    if (fn !== null) return { fn, text };
  }
  return null;
}
