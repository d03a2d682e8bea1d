// The build compiles the workflow JSON Schema into a module (scripts/compile-workflow-schema.mjs)
// so a process that checks a workflow does not load and run ajv's compiler. It must judge
// every document as the schema compiled at run time does.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect, test } from 'vitest';

type Validate = ((document: unknown) => boolean) & { errors?: unknown[] | null };
// ajv as the jobmaster package has it (it is not the workspace root's dependency).
const require = createRequire(new URL('../../packages/jobmaster/package.json', import.meta.url));
const { Ajv } = require('ajv') as { Ajv: new (options: object) => { compile(schema: object): Validate } };
const built = require('./dist/workflow/workflow-validate.cjs') as Validate;
const schema = JSON.parse(readFileSync(new URL('../../packages/jobmaster/schema/workflow.schema.json', import.meta.url), 'utf8')) as object;
const compiled = new Ajv({ allErrors: true, strict: false }).compile(schema);

const documents: unknown[] = [
  { workflow: { name: 'ok', jobs: [{ name: 'a.b' }] } },
  { workflows: [{ name: 'chain', steps: ['a.b', { id: 'c', task: 'a.c', requires: ['x'] }] }] },
  { workflow: { name: 'bad', steps: [{ id: 1 }] } },
  { workflow: { name: 'bad', schedule: 7, steps: [] } },
  { workflow: { name: 'x', unknown: true, steps: [] } },
  {},
  [],
  'text',
];

test('the module the build made judges each document as the schema compiled at run time does', () => {
  for (const document of documents) {
    expect(built(document), JSON.stringify(document)).toBe(compiled(document));
    expect(built.errors ?? null).toEqual(compiled.errors ?? null);
  }
});
