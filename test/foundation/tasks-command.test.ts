// `jm tasks` lists the registry as loaded from the task modules, as text and as JSON.
import { expect, test } from 'vitest';
import { runJm } from '../support/run-jm.js';

test('lists each task with parameters, types, defaults, select-from values, units, write-all and dependencies', async () => {
  const result = await runJm(['tasks', '--tasks', 'examples/*.ts']);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('things1.foo  1 process unit, 2 retries');
  expect(result.stdout).toMatch(/number\s+integer\s+required\s+one of 1, 2, 3\s+the number to write/);
  expect(result.stdout).toMatch(/letter\s+string\s+"A"\s+one of "A", "B", "C"/);
  expect(result.stdout).toContain('nice_tasks.baz  3 process units, 2 retries');
  expect(result.stdout).toContain('needs nice_tasks.bar(file_path=same, number=5) completed within 2h');
  expect(result.stdout).toContain('reports.extract  1 process unit, 2 retries, write-all: region, format');
  expect(result.stdout).toContain('year=same - 1');
});

test('--json prints one document describing every task', async () => {
  const result = await runJm(['tasks', '--tasks', 'examples/*.ts', '--json']);
  expect(result.code).toBe(0);
  const tasks = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
  const foo = tasks.find((t) => t.task === 'things1.foo');
  expect(foo).toMatchObject({
    typeKey: 'things1',
    taskKey: 'foo',
    processUnits: 1,
    writeAll: [],
    description: 'Write a number to a file.',
    parameters: [
      { name: 'file_path', position: 0, type: 'string', required: true, selectFrom: null, help: 'the file to write to' },
      { name: 'number', position: 1, type: 'integer', required: true, selectFrom: [1, 2, 3], help: 'the number to write' },
    ],
    dependencies: [],
  });
  const compare = tasks.find((t) => t.task === 'reports.compare');
  expect(compare?.dependencies).toContainEqual({
    typeKey: 'reports',
    taskKey: 'extract',
    hours: 24,
    arguments: {
      region: { kind: 'same', parameter: 'region', ops: [] },
      format: { kind: 'value', value: 'json' },
      year: { kind: 'same', parameter: 'year', ops: [{ op: '-', operand: 1 }] },
    },
  });
});

test('a task module that fails to load is one clear line naming the file', async () => {
  const result = await runJm(['tasks', '--tasks', 'test/fixtures/tasks/invalid/*.ts']);
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(/^jm: /);
});

test('a glob matching nothing says so', async () => {
  const result = await runJm(['tasks', '--tasks', 'no/such/*.ts']);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('no/such/*.ts');
});
