import { readFileSync } from 'node:fs';

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
 * (a method, possibly after decorators; a function; or a `const`) in `file`, searching
 * after `class <className>` when given. Cheap text matching, not a TypeScript parse: a
 * file that cannot be read or a declaration that is not found yields an empty doc.
 */
export function readTaskDoc(file: string | null, name: string, className?: string): TaskDoc {
  if (file === null || !/^[A-Za-z_$][\w$]*$/.test(name)) return EMPTY_DOC;
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return EMPTY_DOC;
  }
  let from = 0;
  if (className !== undefined && /^[A-Za-z_$][\w$]*$/.test(className)) {
    const classAt = new RegExp(`\\bclass\\s+${className}\\b`).exec(source);
    if (classAt) from = classAt.index;
  }
  const declaration = new RegExp(
    `(?:^|[\\s;{}])(?:(?:export|default|static|async|public|private|protected|override|readonly)\\s+)*` +
      `(?:function\\s*\\*?\\s*${name}\\s*[(<]|\\*?\\s*${name}\\s*[(<]|(?:const|let|var)\\s+${name}\\s*[=:])`,
    'g',
  );
  declaration.lastIndex = from;
  for (let match = declaration.exec(source); match; match = declaration.exec(source)) {
    const comment = commentBefore(source, match.index + 1);
    if (comment !== null) return parseDoc(comment);
  }
  return EMPTY_DOC;
}

/** The doc comment ending right before `at`, when only decorators and whitespace lie between. */
function commentBefore(source: string, at: number): string | null {
  const end = source.lastIndexOf('*/', at);
  if (end < 0) return null;
  const start = source.lastIndexOf('/**', end);
  if (start < 0) return null;
  const between = source.slice(end + 2, at);
  return onlyDecorators(between) ? source.slice(start + 3, end) : null;
}

/** True when text is only whitespace and decorators, each optionally called with balanced brackets. */
function onlyDecorators(text: string): boolean {
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  for (skipSpace(); i < text.length; skipSpace()) {
    const name = /^@[\w$.]+/.exec(text.slice(i));
    if (!name) return false;
    i += name[0].length;
    skipSpace();
    if (text[i] !== '(') continue;
    // Skip the decorator's argument list, brackets balanced (strings are not special-cased:
    // a bracket inside a string literal merely makes us miss the comment).
    let depth = 0;
    do {
      const c = text[i++];
      if (c === undefined) return false;
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') depth--;
    } while (depth > 0);
  }
  return true;
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
