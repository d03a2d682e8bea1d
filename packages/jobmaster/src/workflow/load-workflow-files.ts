import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type * as Yaml from 'yaml';
import { lazyRequire } from '../util/lazy-require.js';
import { InvalidWorkflowError } from '../errors.js';
import { normalizeWorkflow } from './normalize-workflow.js';
import type { WorkflowDefinition } from './workflow-definition.js';
import { checkWorkflowDocument, type WorkflowFileDocument } from './workflow-schema.js';

/** Largest workflow file read. (Default: 2 MB) */
export const MAX_WORKFLOW_FILE_BYTES = 2 * 1024 * 1024;
/** Deepest nesting of objects and lists a workflow file may have. (Default: 32) */
export const MAX_WORKFLOW_DEPTH = 32;

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

// Loaded when a workflow file is read: `jm enqueue` and a worker's start skip the YAML parser.
const yaml = lazyRequire<typeof Yaml>('yaml');

/**
 * Reads every workflow file matching `patterns` (globs relative to `cwd`; YAML or JSON),
 * checks each against the workflow JSON Schema and returns the workflows in their internal
 * shape, sorted by name. Throws InvalidWorkflowError with one line per problem (a file that
 * does not parse, is too large or too deep, breaks the schema, or two workflows with one name).
 */
export async function loadWorkflowFiles(patterns: string[], options: { cwd: string }): Promise<WorkflowDefinition[]> {
  const cwd = path.resolve(options.cwd);
  const { glob } = await import('tinyglobby');
  const matched = await glob(patterns, { cwd, absolute: true, onlyFiles: true, ignore: ['**/node_modules/**'] });
  const files = [...new Set(matched.map((f) => path.normalize(f)))].filter((f) => EXTENSIONS.has(path.extname(f).toLowerCase())).sort();
  if (files.length === 0) {
    throw new InvalidWorkflowError([
      `No workflow files (.yaml, .yml, .json) match ${patterns.map((p) => JSON.stringify(p)).join(', ')} in ${cwd}`,
    ]);
  }
  const problems: string[] = [];
  const definitions: WorkflowDefinition[] = [];
  for (const file of files) {
    const shown = path.relative(cwd, file) || file;
    const read = await readWorkflowFile(file, shown);
    if (typeof read === 'string') {
      problems.push(read);
      continue;
    }
    for (const doc of read.workflow ? [read.workflow] : (read.workflows ?? [])) {
      const result = normalizeWorkflow(doc, shown);
      if (result.definition) definitions.push(result.definition);
      else problems.push(...result.problems);
    }
  }
  const seen = new Map<string, string>();
  for (const d of definitions) {
    const other = seen.get(d.name);
    if (other !== undefined) problems.push(`workflow ${JSON.stringify(d.name)} is declared twice, in ${other} and in ${d.sourceFile}`);
    seen.set(d.name, d.sourceFile ?? 'code');
  }
  if (problems.length > 0) throw new InvalidWorkflowError(problems);
  return definitions.sort((a, b) => a.name.localeCompare(b.name));
}

/** Parses one file; returns the document, or one line saying what is wrong with the file. */
export async function readWorkflowFile(file: string, shown = file): Promise<WorkflowFileDocument | string> {
  const size = (await stat(file)).size;
  if (size > MAX_WORKFLOW_FILE_BYTES)
    return `${shown}: ${size} bytes is larger than the ${MAX_WORKFLOW_FILE_BYTES} a workflow file may have`;
  const text = await readFile(file, 'utf8');
  const parsed = parseWorkflowText(text, path.extname(file).toLowerCase() === '.json' ? 'json' : 'yaml');
  if ('problem' in parsed) return `${shown}: ${parsed.problem}`;
  const problem = checkWorkflowDocument(parsed.value);
  return problem === null ? (parsed.value as WorkflowFileDocument) : `${shown}: ${problem}`;
}

/** Parses YAML or JSON text into a plain value, refusing nesting deeper than {@link MAX_WORKFLOW_DEPTH}. */
export function parseWorkflowText(text: string, format: 'yaml' | 'json'): { value: unknown } | { problem: string } {
  // Measured on the text before parsing, so a hostile file cannot exhaust the stack.
  const depth = bracketDepth(text, format);
  if (depth > MAX_WORKFLOW_DEPTH) return { problem: `nested ${depth} levels deep; a workflow file may nest at most ${MAX_WORKFLOW_DEPTH}` };
  let value: unknown;
  if (format === 'json') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { problem: `not valid JSON: ${(error as Error).message}` };
    }
  } else {
    const doc = yaml().parseDocument(text, { prettyErrors: false, uniqueKeys: true });
    const first = doc.errors[0];
    if (first) return { problem: `not valid YAML: ${first.message.split('\n')[0]}` };
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      return { problem: `not valid YAML: ${(error as Error).message.split('\n')[0]}` };
    }
  }
  const measured = valueDepth(value);
  if (measured > MAX_WORKFLOW_DEPTH)
    return { problem: `nested ${measured} levels deep; a workflow file may nest at most ${MAX_WORKFLOW_DEPTH}` };
  return { value };
}

/** Deepest run of unclosed `[`/`{` (JSON and YAML flow style), and of YAML indentation steps. */
function bracketDepth(text: string, format: 'yaml' | 'json'): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth--;
  }
  if (format === 'yaml') {
    for (const line of text.split('\n')) {
      const indent = /^( *)(- )*/.exec(line);
      if (indent) max = Math.max(max, Math.floor(indent[1]!.length / 2) + Math.floor((indent[0].length - indent[1]!.length) / 2));
    }
  }
  return max;
}

function valueDepth(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, d + 1);
    if (max > MAX_WORKFLOW_DEPTH) return max;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}
