import { readFileSync } from 'node:fs';
import type { TokenType } from 'acorn';
import { lazyRequire } from '../util/lazy-require.js';

const acorn = lazyRequire<typeof import('acorn')>('acorn');

/** What a TSDoc comment says about a task. */
export interface TaskDoc {
  /** First paragraph of the comment, or null. */
  description: string | null;
  /** `@param name description` texts by parameter name. */
  params: Map<string, string>;
}

const EMPTY_DOC: TaskDoc = { description: null, params: new Map() };

/**
 * Finds the `/** … *\/` comment placed immediately before the declaration of `name`
 * (a method, possibly after decorators and modifiers; a function; or a `const`) in `file`,
 * after `class <className>` when given. The file is read as a stream of JavaScript tokens
 * (acorn's tokenizer; decorators' `@` is blanked out, type annotations tokenize as plain
 * JavaScript), so brackets and comment markers inside strings, templates and regexes of a
 * decorator's arguments are never mistaken for code. A file that cannot be read or a
 * declaration that is not found yields an empty doc.
 */
export function readTaskDoc(file: string | null, name: string, className?: string): TaskDoc {
  if (file === null) return EMPTY_DOC;
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return EMPTY_DOC;
  }
  const { tokens, docComments } = scanOnce(file, source);
  let from = 0;
  if (className !== undefined) {
    const at = tokens.findIndex((t, i) => t.type === acorn().tokTypes._class && tokens[i + 1]?.value === className);
    if (at >= 0) from = tokens[at]!.start;
  }
  let next = 0;
  for (const comment of docComments) {
    if (comment.start < from) continue;
    while (next < tokens.length && tokens[next]!.start < comment.end) next++;
    if (declares(source, tokens, next, name)) return parseDoc(comment.text);
  }
  return EMPTY_DOC;
}

/** An acorn token; its `value` (a name, keyword, string or number) is missing from acorn's types. */
interface Token {
  type: TokenType;
  value?: unknown;
  start: number;
  end: number;
}

interface DocComment {
  /** The comment body between `/**` and `*\/`. */
  text: string;
  start: number;
  end: number;
}

/** The last scan of each file: a module declaring ten tasks is read once, not ten times. */
const scans = new Map<string, { source: string; scanned: ReturnType<typeof scan> }>();

function scanOnce(file: string, source: string): ReturnType<typeof scan> {
  const last = scans.get(file);
  if (last?.source === source) return last.scanned;
  const scanned = scan(source);
  scans.set(file, { source, scanned });
  return scanned;
}

/**
 * Tokens and doc comments of a TypeScript or JavaScript file. TypeScript tokenizes as
 * JavaScript except for decorators' `@`, blanked out here (offsets stay those of the
 * file). Where the tokenizer gives up (`x! / y` reads as a regex), it resumes on the
 * next line, so one odd line costs at most the declarations right after it.
 */
function scan(source: string): { tokens: Token[]; docComments: DocComment[] } {
  const masked = source.replaceAll('@', ' ');
  const tokens: Token[] = [];
  const docComments: DocComment[] = [];
  let offset = 0;
  while (offset < masked.length) {
    const onComment = (block: boolean, text: string, start: number, end: number): void => {
      if (block && text.startsWith('*'))
        docComments.push({ text: source.slice(offset + start + 3, offset + end - 2), start: offset + start, end: offset + end });
    };
    try {
      for (const token of acorn().tokenizer(masked.slice(offset), { ecmaVersion: 'latest', allowHashBang: true, onComment })) {
        const { type, value } = token as Token;
        tokens.push({ type, value, start: token.start + offset, end: token.end + offset });
      }
      break;
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      const failedAt = offset + ((error as SyntaxError & { pos?: number }).pos ?? 0);
      const nextLine = masked.indexOf('\n', failedAt);
      if (nextLine < 0) break;
      offset = nextLine + 1;
    }
  }
  return { tokens, docComments };
}

const MODIFIERS = new Set([
  'export',
  'default',
  'declare',
  'abstract',
  'static',
  'async',
  'public',
  'private',
  'protected',
  'override',
  'readonly',
  'function',
  'const',
  'let',
  'var',
]);

/**
 * True when the tokens from `at` declare `name`: decorators (`@a.b(…)`, arguments
 * skipped bracket by bracket), then modifiers (`export`, `static`, `async`, `*`, `function`,
 * `const`…), then `name` followed by `(`, `<`, `=` or `:`.
 */
function declares(source: string, tokens: Token[], at: number, name: string): boolean {
  let i = at;
  for (;;) {
    const token = tokens[i];
    if (token === undefined) return false;
    if (source[token.start - 1] === '@') {
      i = skipDecorator(tokens, i);
      continue;
    }
    const modifier =
      token.type === acorn().tokTypes.star ||
      ((token.type === acorn().tokTypes.name || token.type.keyword !== undefined) && MODIFIERS.has(String(token.value)));
    if (modifier && tokens[i + 1]?.type !== acorn().tokTypes.parenL) {
      i++;
      continue;
    }
    break;
  }
  const follower = tokens[i + 1];
  return (
    tokens[i]?.value === name &&
    follower !== undefined &&
    (follower.type === acorn().tokTypes.parenL ||
      follower.value === '<' ||
      follower.type === acorn().tokTypes.eq ||
      follower.type === acorn().tokTypes.colon)
  );
}

/** Index of the first token after the decorator starting at `at` (its name, then its argument list, if any). */
function skipDecorator(tokens: Token[], at: number): number {
  let i = at + 1;
  while (tokens[i]?.type === acorn().tokTypes.dot && tokens[i + 1] !== undefined) i += 2;
  if (tokens[i]?.type !== acorn().tokTypes.parenL) return i;
  let depth = 0;
  for (; i < tokens.length; i++) {
    const type = tokens[i]!.type;
    if (bracketTypes().openers.has(type)) depth++;
    else if (bracketTypes().closers.has(type) && --depth === 0) return i + 1;
  }
  return i;
}

// `${` opens a template substitution that a plain `}` closes.
let brackets: { openers: Set<TokenType>; closers: Set<TokenType> } | undefined;
/** Acorn's bracket token types, read once acorn is loaded. */
function bracketTypes(): { openers: Set<TokenType>; closers: Set<TokenType> } {
  const t = acorn().tokTypes;
  return (brackets ??= {
    openers: new Set([t.parenL, t.bracketL, t.braceL, t.dollarBraceL]),
    closers: new Set([t.parenR, t.bracketR, t.braceR]),
  });
}

/** Splits a comment body into its first paragraph and its `@param` texts. */
function parseDoc(body: string): TaskDoc {
  const lines = body.split('\n').map((line) => line.replace(/^\s*\*?\s?/, '').trimEnd());
  const blocks: string[][] = [[]];
  for (const line of lines) {
    if (line.trimStart().startsWith('@')) blocks.push([line.trim()]);
    else blocks[blocks.length - 1]!.push(line);
  }
  const [intro = [], ...tags] = blocks;
  const firstParagraph: string[] = [];
  for (const line of intro.map((l) => l.trim())) {
    if (line === '' && firstParagraph.length > 0) break;
    if (line !== '') firstParagraph.push(line);
  }
  const params = new Map<string, string>();
  for (const tag of tags) {
    const match = /^@param\s+(?:\{[^}]*\}\s*)?\[?([A-Za-z_$][\w$]*)[^\s]*\s*(?:-\s*)?([^]*)$/.exec(tag.join('\n').trim());
    if (!match) continue;
    const text = match[2]!.replace(/\s+/g, ' ').trim();
    if (text !== '') params.set(match[1]!, text);
  }
  return { description: firstParagraph.length > 0 ? firstParagraph.join(' ') : null, params };
}
