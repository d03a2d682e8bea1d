import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import { lazyRequire } from '../util/lazy-require.js';
import type { WorkflowDocument } from './normalize-workflow.js';

/** The published JSON Schema of workflow files (`jobmaster/workflow.schema.json`). */
export const WORKFLOW_SCHEMA_FILE = fileURLToPath(new URL('../../schema/workflow.schema.json', import.meta.url));

/** A workflow file as the schema describes it: one workflow or a list. */
export interface WorkflowFileDocument {
  workflow?: WorkflowDocument;
  workflows?: WorkflowDocument[];
}

// Loaded on the first check: commands that never read a workflow (`jm enqueue`) skip ajv.
const ajv = lazyRequire<{ Ajv: typeof AjvClass }>('ajv');
let compiled: ValidateFunction | undefined;

/**
 * The schema's validator: the module the build compiled it into (scripts/compile-workflow-schema.mjs;
 * loading it costs a few milliseconds where compiling cost about 0.1 s of every `jm run` whose
 * tasks declare a workflow), else compiled here (running from the sources).
 */
function validator(): ValidateFunction {
  if (!compiled) {
    try {
      compiled = createRequire(import.meta.url)('./workflow-validate.cjs') as ValidateFunction;
    } catch (error) {
      if ((error as { code?: string }).code !== 'MODULE_NOT_FOUND') throw error;
      const schema = JSON.parse(readFileSync(WORKFLOW_SCHEMA_FILE, 'utf8')) as object;
      compiled = new (ajv().Ajv)({ allErrors: true, strict: false }).compile(schema);
    }
  }
  return compiled;
}

/**
 * Checks a parsed document against the JSON Schema. Returns null when it fits, else one
 * sentence naming where (as a JSON path such as `workflow.jobs[2].requires`) and what is wrong.
 */
export function checkWorkflowDocument(document: unknown): string | null {
  const validate = validator();
  if (validate(document)) return null;
  // The deepest error says most (inside a step object rather than "not a string"); at one
  // depth, an anyOf's own error gets a sentence listing the accepted forms.
  const errors = validate.errors ?? [];
  const depth = (e: ErrorObject): number => e.instancePath.split('/').length;
  const deepest = Math.max(...errors.map(depth));
  const candidates = errors.filter((e) => depth(e) === deepest);
  return describe(candidates.find((e) => e.keyword === 'anyOf') ?? candidates[0]);
}

function describe(error: ErrorObject | undefined): string {
  if (!error) return 'does not fit the workflow schema';
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('')
    .replace(/^\./, '');
  const at = path === '' ? 'the document' : path;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return `${at}: unknown key "${String(params.additionalProperty)}"`;
  if (error.keyword === 'required') return `${at}: missing "${String(params.missingProperty)}"`;
  if (error.keyword === 'maxItems') return `${at}: more than ${String(params.limit)} entries`;
  if (error.keyword === 'enum') return `${at}: must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
  if (error.keyword === 'minProperties') return `${at}: give "workflow" (one) or "workflows" (a list)`;
  if (error.keyword === 'anyOf') return `${at}: ${anyOfHint(path)}`;
  return `${at}: ${error.message ?? 'is invalid'}`;
}

function anyOfHint(path: string): string {
  if (/requires$/.test(path)) return 'requires must be a step id, a list of step ids, or null';
  if (/schedule$/.test(path)) return 'schedule must be a cron expression or {cron, timeZone, catchUp}';
  if (/(steps|jobs)\[\d+\]$/.test(path)) return 'a step is a task name or {id, task, requires, args, priority}';
  if (/params\./.test(path)) return 'a parameter is a JSON type name or {type, default}';
  return 'does not fit the workflow schema';
}
