import { readFileSync } from 'node:fs';
import { InvalidArgumentsError } from 'jobmaster';

/**
 * The text of a JSON option as given: inline, `@path` (a file's contents) or `-` (standard
 * input), so a payload too large for one command-line argument still has a way in. The text
 * is passed on as written (the database validates it), so no number is rounded on the way.
 */
export function readJsonOption(value: string, flag: string, subject: string): string {
  if (value !== '-' && !value.startsWith('@')) return value;
  const from = value === '-' ? 'standard input' : value.slice(1);
  try {
    return readFileSync(value === '-' ? 0 : value.slice(1), 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new InvalidArgumentsError(`${subject}: ${flag} ${value}: cannot read ${from} (${reason})`);
  }
}

/**
 * Job arguments as JSON text from `--json` (see {@link readJsonOption}) and `--arg name=value`
 * pairs (a value that parses as JSON is taken as written, anything else as a string). The
 * pairs are appended to the object's text, so they win over `--json` as later keys do in
 * JSON, and a name such as `__proto__` stays a parameter name for the database to judge.
 */
export function argumentsText(subject: string, json: string | undefined, pairs: readonly string[] = []): string | undefined {
  const base = json === undefined ? undefined : readJsonOption(json, '--json', subject);
  if (base !== undefined) {
    try {
      JSON.parse(base);
    } catch (error) {
      throw new InvalidArgumentsError(`${subject}: --json is not valid JSON (${(error as Error).message})`, { value: base });
    }
  }
  if (pairs.length === 0) return base;
  const members: string[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentsError(`${subject}: --arg must look like name=value, got ${JSON.stringify(pair)}`);
    const value = pair.slice(eq + 1);
    members.push(`${JSON.stringify(pair.slice(0, eq))}:${isJson(value) ? value : JSON.stringify(value)}`);
  }
  if (base === undefined) return `{${members.join(',')}}`;
  const object = parseObject(base);
  if (object === null) throw new InvalidArgumentsError(`${subject}: --arg needs --json to be a JSON object`);
  const trimmed = base.trim();
  return `${trimmed.slice(0, -1)}${Object.keys(object).length > 0 ? ',' : ''}${members.join(',')}}`;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
