// Workflow files are read from a glob (flag, JM_WORKFLOWS or the config file), YAML or JSON;
// a bad file gives one line and exit 1, never a stack trace.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { runJm } from '../support/run-jm.js';
import { ETL_TASKS, WORKFLOW_FILES } from './workflow-support.js';

function fileDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'jm-wf-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

async function check(files: Record<string, string>): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  const dir = fileDir(files);
  const result = await runJm(['workflows', '--check', '--tasks', ETL_TASKS, '--workflows', '*'], { cwd: dir });
  return { code: result.code, lines: result.stderr.trim().split('\n'), stderr: result.stderr };
}

test('jm workflows lists the NUTS, SwissCAT, own-shape and code workflows found by --workflows', async () => {
  const result = await runJm(['workflows', '--tasks', ETL_TASKS, '--workflows', WORKFLOW_FILES, '--output', 'json']);
  expect(result.code).toBe(0);
  const { workflows } = JSON.parse(result.stdout) as { workflows: { name: string; steps: { id: string; requires: string[] }[] }[] };
  expect(workflows.map((w) => w.name)).toEqual(['code-chain', 'etl', 'nuts-pipeline', 'swiss-chain']);
  expect(workflows.find((w) => w.name === 'etl')!.steps.map((s) => [s.id, s.requires])).toEqual([
    ['extract', []],
    ['transform', ['extract']],
    ['audit', ['extract']],
    ['load', ['transform', 'audit']],
  ]);
});

test('JM_WORKFLOWS and "workflows" in jobmaster.config.json find the files too', async () => {
  const viaEnv = await runJm(['workflows', '--check', '--tasks', ETL_TASKS], { env: { JM_WORKFLOWS: WORKFLOW_FILES } });
  expect(viaEnv.stdout.trim()).toBe('4 workflows valid.');
  const dir = fileDir({
    'jobmaster.config.json': JSON.stringify({ tasks: ETL_TASKS, workflows: 'flows/*.yaml' }),
  });
  const flows = path.join(dir, 'flows');
  (await import('node:fs')).mkdirSync(flows);
  writeFileSync(path.join(flows, 'one.yaml'), 'workflow:\n  name: one\n  steps: [ping, tidy]\n');
  const viaConfig = await runJm(['workflows', '--check'], { cwd: dir });
  expect(viaConfig.stdout.trim()).toBe('2 workflows valid.'); // one.yaml and code-chain
});

test('--check exits 1 with one line per registry problem', async () => {
  const { code, lines } = await check({ 'bad.yaml': 'workflow:\n  name: bad\n  steps: [nope, extract]\n' });
  expect(code).toBe(1);
  expect(lines).toEqual([
    'jm: 2 workflow problems:',
    'workflow "bad", step "nope": unknown task "nope" ("jm tasks" lists the registered tasks)',
    'workflow "bad", step "extract": etl.extract requires parameter "day", which is neither given nor referenced',
  ]);
});

test('malformed YAML and JSON give one line naming the file', async () => {
  const yaml = await check({ 'broken.yaml': 'workflow:\n  name: [unclosed\n' });
  expect(yaml.code).toBe(1);
  expect(yaml.lines).toHaveLength(1);
  expect(yaml.lines[0]).toMatch(/^jm: broken\.yaml: not valid YAML: /);
  const json = await check({ 'broken.json': '{"workflows": [' });
  expect(json.lines).toHaveLength(1);
  expect(json.lines[0]).toMatch(/^jm: broken\.json: not valid JSON: /);
});

test('wrong types are named by their place in the document', async () => {
  const { code, lines } = await check({ 'types.yaml': 'workflow:\n  name: t\n  steps:\n    - task: ping\n      priority: high\n' });
  expect(code).toBe(1);
  expect(lines).toEqual(['jm: types.yaml: workflow.steps[0].priority: must be integer']);
  const unknownKey = await check({ 'key.json': JSON.stringify({ workflow: { name: 'k', steps: ['ping'], retries: 3 } }) });
  expect(unknownKey.lines).toEqual(['jm: key.json: workflow: unknown key "retries"']);
});

test('10,000 steps and deep nesting are refused in one line, never a stack trace', async () => {
  const steps = Array.from({ length: 10_000 }, (_, i) => ({ id: `s${i}`, task: 'ping', requires: i ? [`s${i - 1}`] : [] }));
  const many = await check({ 'many.json': JSON.stringify({ workflow: { name: 'many', steps } }) });
  expect(many.code).toBe(1);
  expect(many.lines).toEqual(['jm: many.json: workflow.steps: more than 2000 entries']);
  const deep = await check({
    'deep.json': `{"workflow": {"name": "d", "steps": [{"task": "ping", "args": {"note": ${'['.repeat(5000)}${']'.repeat(5000)}}}]}}`,
  });
  expect(deep.code).toBe(1);
  expect(deep.lines).toEqual(['jm: deep.json: nested 5005 levels deep; a workflow file may nest at most 32']);
  const deepYaml = await check({
    'deep.yaml': `workflow:\n  name: d\n  steps:\n${Array.from({ length: 200 }, (_, i) => `${'  '.repeat(i + 2)}- `).join('\n')}ping\n`,
  });
  expect(deepYaml.code).toBe(1);
  expect(deepYaml.lines).toHaveLength(1);
  expect(deepYaml.stderr).not.toMatch(/\n\s+at /);
});

test('the example workflow in jobmaster.config.json is valid, and is not read with tasks from elsewhere', async () => {
  const example = await runJm(['workflows', '--check']);
  expect(example.stdout.trim()).toBe('1 workflow valid.');
  const elsewhere = await runJm(['workflows', '--check', '--tasks', ETL_TASKS]);
  expect(elsewhere.stdout.trim()).toBe('1 workflow valid.'); // code-chain, declared in the ETL module
});
