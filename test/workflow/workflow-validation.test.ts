// Workflows are checked against the registry before anything is deployed: one line per
// problem, naming the workflow, the step and the cause.
import { beforeAll, describe, expect, test } from 'vitest';
import { InvalidWorkflowError } from '../../packages/jobmaster/src/errors.js';
import type { TaskDefinition } from '../../packages/jobmaster/src/registry/task-definition.js';
import { validateWorkflows } from '../../packages/jobmaster/src/workflow/validate-workflows.js';
import type { WorkflowDocument } from '../../packages/jobmaster/src/workflow/normalize-workflow.js';
import { etlTasks, workflow } from './workflow-support.js';

let tasks: TaskDefinition[];
beforeAll(async () => {
  tasks = await etlTasks();
});

function problemsOf(doc: WorkflowDocument): string[] {
  try {
    validateWorkflows([workflow(doc)], tasks);
  } catch (error) {
    if (error instanceof InvalidWorkflowError) return error.problems;
    throw error;
  }
  return [];
}

describe('a valid workflow', () => {
  test('resolves each step to its task, bare task keys included, and keeps the references', () => {
    const [resolved] = validateWorkflows(
      [
        workflow({
          name: 'ok',
          params: { day: 'string' },
          steps: [
            { id: 'e', task: 'extract', args: { day: '${{ params.day }}' } },
            { id: 't', task: 'etl.transform', args: { rows: '${{ steps.e.result.rows }}' } },
          ],
        }),
      ],
      tasks,
    );
    expect(resolved!.steps.map((s) => [s.id, s.typeKey, s.taskKey, s.requires])).toEqual([
      ['e', 'etl', 'extract', []],
      ['t', 'etl', 'transform', ['e']],
    ]);
  });
});

describe('each problem is one line naming workflow, step and cause', () => {
  test('a step that would fan out with "ALL"', () => {
    expect(problemsOf({ name: 'w', steps: [{ id: 's', task: 'etl.shard', args: { region: 'ALL' } }] })).toEqual([
      'workflow "w", step "s": etl.shard: parameter "region" is "ALL": a workflow step cannot fan out (its run would not wait for the fanned-out jobs); declare a step for each value',
    ]);
  });

  test('an unknown task', () => {
    expect(problemsOf({ name: 'w', steps: [{ id: 'a', task: 'etl.nope' }] })).toEqual([
      'workflow "w", step "a": unknown task "etl.nope" ("jm tasks" lists the registered tasks)',
    ]);
  });

  test('a duplicate step id', () => {
    expect(problemsOf({ name: 'w', steps: ['ping', 'ping'] })).toContain(
      'workflow "w", step "ping": step id is used twice (give one step a distinct "id")',
    );
  });

  test('an invalid step id', () => {
    expect(problemsOf({ name: 'w', steps: [{ id: '9 lives', task: 'ping' }] })[0]).toMatch(
      /^workflow "w", step "9 lives": a step id must be/,
    );
  });

  test('requires naming a missing step', () => {
    expect(
      problemsOf({
        name: 'w',
        steps: [
          { id: 'a', task: 'ping' },
          { id: 'b', task: 'tidy', requires: ['nope'] },
        ],
      }),
    ).toContain('workflow "w", step "b": requires "nope", which is not a step of this workflow');
  });

  test('a cycle, printed', () => {
    const problems = problemsOf({
      name: 'w',
      jobs: [
        { name: 'ping', requires: ['tidy'] },
        { name: 'tidy', requires: ['ping'] },
      ],
    });
    expect(problems).toContain('workflow "w": steps form a cycle: ping -> tidy -> ping');
  });

  test('an orphan step', () => {
    const problems = problemsOf({
      name: 'w',
      jobs: [{ name: 'ping' }, { name: 'tidy', requires: ['ping'] }, { id: 'lonely', task: 'ping' }],
    });
    expect(problems).toEqual(['workflow "w", step "lonely": is an orphan: it requires no step and no step requires it']);
  });

  test('a reference to a step that is not upstream', () => {
    const problems = problemsOf({
      name: 'w',
      params: { day: 'string' },
      jobs: [
        { id: 'e', task: 'extract', args: { day: '${{ params.day }}' } },
        { id: 'a', task: 'audit', requires: ['e'], args: { day: 'x' } },
        { id: 't', task: 'transform', requires: ['e'], args: { rows: '${{ steps.a.result.rows }}' } },
      ],
    });
    expect(problems).toEqual([
      'workflow "w", step "t": argument "rows": ${{ steps.a.result.rows }} names a step that is not upstream (add it to "requires")',
    ]);
  });

  test('a reference to an undeclared parameter, and a malformed reference', () => {
    const problems = problemsOf({
      name: 'w',
      steps: [
        { id: 'e', task: 'extract', args: { day: '${{ params.day }}' } },
        { task: 'ping', args: { note: '${{ nonsense }}' } },
      ],
    });
    expect(problems).toEqual([
      'workflow "w", step "e": argument "day": ${{ params.day }} names no parameter of the workflow (declare it under "params")',
      'workflow "w", step "ping": argument "note": ${{ nonsense }} is not a reference: write ${{ params.NAME }} or ${{ steps.ID.result.PATH }}',
    ]);
  });

  test('static arguments that break the task rules: unknown parameter, wrong type, outside select-from', () => {
    const problems = problemsOf({
      name: 'w',
      steps: [
        { id: 'a', task: 'paint', args: { color: 'green', times: 'twice' } },
        { id: 'b', task: 'ping', args: { volume: 11 } },
      ],
    });
    expect(problems).toEqual([
      'workflow "w", step "a": etl.paint: parameter "color" must be one of "red", "blue", got "green"',
      'workflow "w", step "a": etl.paint: parameter "times" must be an integer, got "twice"',
      'workflow "w", step "b": etl.ping has no parameter "volume"',
    ]);
  });

  test('a parameter whose declared type does not fit the task', () => {
    expect(problemsOf({ name: 'w', params: { n: 'string' }, steps: [{ task: 'transform', args: { rows: '${{ params.n }}' } }] })).toEqual([
      'workflow "w", step "transform": argument "rows": ${{ params.n }} is string but etl.transform takes number',
    ]);
  });

  test('a required task parameter neither given nor referenced', () => {
    expect(problemsOf({ name: 'w', steps: ['extract'] })).toEqual([
      'workflow "w", step "extract": etl.extract requires parameter "day", which is neither given nor referenced',
    ]);
  });

  test('a scheduled workflow with a parameter that has no default', () => {
    expect(
      problemsOf({
        name: 'w',
        schedule: '0 2 * * *',
        params: { day: 'string' },
        steps: [{ task: 'extract', args: { day: '${{ params.day }}' } }],
      }),
    ).toEqual(['workflow "w": is scheduled, so parameter "day" needs a default (a tick gives no parameters)']);
  });

  test('every problem of several workflows is reported at once', () => {
    let error: unknown;
    try {
      validateWorkflows([workflow({ name: 'a', steps: ['nope'] }), workflow({ name: 'b', steps: ['extract'] })], tasks);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidWorkflowError);
    expect((error as InvalidWorkflowError).message.split('\n')).toEqual([
      '2 workflow problems:',
      'workflow "a", step "nope": unknown task "nope" ("jm tasks" lists the registered tasks)',
      'workflow "b", step "extract": etl.extract requires parameter "day", which is neither given nor referenced',
    ]);
  });
});

describe('the document shapes', () => {
  test('NUTS jobs without requires are roots; SwissCAT steps are a chain', () => {
    expect(workflow({ name: 'n', jobs: [{ name: 'ping' }, { name: 'tidy' }] }).steps.map((s) => s.requires)).toEqual([[], []]);
    expect(workflow({ name: 's', steps: ['ping', 'tidy', 'paint'] }).steps.map((s) => s.requires)).toEqual([[], ['ping'], ['tidy']]);
  });
});
