import type { JsonValue } from '../registry/task-definition.js';

/** One `${{ ... }}` reference in a step's arguments. */
export type WorkflowReference =
  { kind: 'param'; name: string; path: string[]; text: string } | { kind: 'step'; step: string; path: string[]; text: string };

/** A reference anywhere in a string; the database resolves the same syntax (workflow_resolve.sql). */
const REFERENCE = /\$\{\{\s*([^}]*?)\s*\}\}/g;
const PATH_SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * Reads the text inside `${{ }}`: `params.NAME[.path]` or `steps.ID.result[.path]`.
 * Returns the reference, or a sentence saying what is wrong with it.
 */
export function parseReference(inner: string): WorkflowReference | string {
  const text = `\${{ ${inner} }}`;
  const parts = inner.split('.');
  if (parts.some((p) => !PATH_SEGMENT.test(p)))
    return `${text} is not a reference: write \${{ params.NAME }} or \${{ steps.ID.result.PATH }}`;
  if (parts[0] === 'params' && parts.length >= 2) return { kind: 'param', name: parts[1]!, path: parts.slice(2), text };
  if (parts[0] === 'steps' && parts.length >= 3 && parts[2] === 'result') {
    return { kind: 'step', step: parts[1]!, path: parts.slice(3), text };
  }
  return `${text} is not a reference: write \${{ params.NAME }} or \${{ steps.ID.result.PATH }}`;
}

/** Every reference in a JSON value (strings at any depth), with the argument it sits in; bad ones as sentences. */
export function findReferences(args: Record<string, JsonValue>): { arg: string; ref: WorkflowReference | string; whole: boolean }[] {
  const found: { arg: string; ref: WorkflowReference | string; whole: boolean }[] = [];
  const visit = (arg: string, value: JsonValue): void => {
    if (typeof value === 'string') {
      const matches = [...value.matchAll(REFERENCE)];
      const whole = matches.length === 1 && matches[0]![0] === value;
      for (const m of matches) found.push({ arg, ref: parseReference(m[1]!), whole });
    } else if (Array.isArray(value)) {
      for (const v of value) visit(arg, v);
    } else if (value !== null && typeof value === 'object') {
      for (const v of Object.values(value)) visit(arg, v);
    }
  };
  for (const [arg, value] of Object.entries(args)) visit(arg, value);
  return found;
}

/** True when a JSON value holds no reference, so it can be checked against the task now. */
export function isStatic(value: JsonValue): boolean {
  return JSON.stringify(value).includes('${{') === false;
}
