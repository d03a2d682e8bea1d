// Every door refuses bad input the same way and changes nothing. One table of bad job
// requests goes through SQL (`call insert_job`), TypeScript (`JobMaster.enqueue`) and the CLI
// (`jm enqueue`): each is refused with the same one-line message (naming the option as that
// door calls it), exit code 1 from the CLI, and the queue's tables are exactly as before
// (row counts and a checksum of every job). Then inputs only one door can be given.
import { JobMaster, isJobMasterError } from 'jobmaster';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dbFlags, runJm } from '../support/run-jm.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase('doors');
const s = `"${db.schema}"`;
let jm: JobMaster;
let before = '';

/** Row counts and a checksum of every job: what no refusal may change. */
async function fingerprint(): Promise<string> {
  const { rows } = await db.pool.query<{ f: string }>(
    `select (select count(*) from ${s}.jobs) || ':' || coalesce((select md5(string_agg(j::text, '|' order by j.id)) from ${s}.jobs j), '-')
            || ':' || (select count(*) from ${s}.job_events) || ':' || (select count(*) from ${s}.schedules)
            || ':' || (select count(*) from ${s}.tasks) as f`,
  );
  return rows[0]!.f;
}

beforeAll(async () => {
  const deployed = await runJm(['deploy', ...dbFlags(db), '--tasks', 'test/fixtures/foundation/*.ts']);
  expect(deployed.code, deployed.stderr).toBe(0);
  jm = new JobMaster({ pool: db.pool, schema: db.schema });
  // Something in the queue for a refusal to disturb.
  await jm.enqueue('shapes.everything', { label: 'kept', count: 1, ratio: 1, flag: true, color: 'red' });
  before = await fingerprint();
});
afterAll(async () => {
  expect(await fingerprint()).toBe(before);
  await jm.close();
});

interface BadRequest {
  name: string;
  /** type_key, task_key (Default: shapes, everything) */
  task?: [string, string];
  /** The arguments as JSON text. */
  json: string;
  /** The message every door gives (after "type.task: "), unless a door is named in `doors`. */
  message: string;
  /** Only these doors can be given this input (JavaScript cannot hold 1e400, say). */
  doors?: Array<'sql' | 'ts' | 'cli'>;
}

const ok = '"label": "a", "count": 1, "ratio": 1.5, "flag": true, "color": "red"';
const withOut = (name: string): string =>
  `{${ok
    .split(', ')
    .filter((p) => !p.startsWith(`"${name}"`))
    .join(', ')}}`;
const withValue = (name: string, value: string): string => `{${withOut(name).slice(1, -1)}, ${JSON.stringify(name)}: ${value}}`;
const deep = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);
const hostile = [`'); drop schema ${'x'} cascade; --`, `"; delete from jobs; --`, "O'Brien", '$$ select 1 $$'];

const typeCases: Array<[string, string, string]> = [
  ['label', '5', 'must be a string, got 5'],
  ['label', 'true', 'must be a string, got true'],
  ['label', 'null', 'must be a string, got null'],
  ['label', '[]', 'must be a string, got []'],
  ['label', '{}', 'must be a string, got {}'],
  ['count', '1.5', 'must be an integer, got 1.5'],
  ['count', '"1"', 'must be an integer, got "1"'],
  ['count', 'true', 'must be an integer, got true'],
  ['count', '[1]', 'must be an integer, got [1]'],
  ['count', 'null', 'must be an integer, got null'],
  ['ratio', '"1.5"', 'must be a number, got "1.5"'],
  ['ratio', 'false', 'must be a number, got false'],
  ['ratio', '{}', 'must be a number, got {}'],
  ['flag', '"yes"', 'must be a boolean, got "yes"'],
  ['flag', '1', 'must be a boolean, got 1'],
  ['flag', '"true"', 'must be a boolean, got "true"'],
  ['tags', '"x"', 'must be an array, got "x"'],
  ['tags', '{}', 'must be an array, got {}'],
  ['tags', '3', 'must be an array, got 3'],
  ['meta', '[]', 'must be an object, got []'],
  ['meta', '"x"', 'must be an object, got "x"'],
  ['meta', 'false', 'must be an object, got false'],
  ['color', '"purple"', 'must be one of "red", "green", "blue", got "purple"'],
  ['color', '"RED"', 'must be one of "red", "green", "blue", got "RED"'],
  ['color', '5', 'must be a string, got 5'],
  ['size', '4', 'must be one of 1, 2, 3, got 4'],
  ['size', '0', 'must be one of 1, 2, 3, got 0'],
  ['size', '"2"', 'must be an integer, got "2"'],
  ['size', '"ALL"', '"ALL" is only allowed for write-all parameters, and "size" is not one'],
  ['label', '"ALL"', '__accepted__'],
];

const requests: BadRequest[] = [
  ...hostile.flatMap((h): BadRequest[] => [
    { name: `a hostile type key ${h}`, task: [h, 'everything'], json: `{${ok}}`, message: 'No task' },
    { name: `a hostile task key ${h}`, task: ['shapes', h], json: `{${ok}}`, message: 'No task' },
    { name: `a hostile parameter name ${h}`, json: withValue(h, '1'), message: `unknown parameter ${JSON.stringify(h)}` },
  ]),
  { name: 'an unknown task', task: ['shapes', 'nope'], json: `{${ok}}`, message: 'No task shapes.nope is registered in the database' },
  { name: 'an unknown type', task: ['nope', 'everything'], json: `{${ok}}`, message: 'No task nope.everything is registered' },
  { name: 'an array for arguments', json: '[1, 2]', message: 'arguments must be a JSON object, got array' },
  { name: 'a string for arguments', json: '"x"', message: 'arguments must be a JSON object, got string' },
  { name: 'a number for arguments', json: '7', message: 'arguments must be a JSON object, got number' },
  { name: 'a boolean for arguments', json: 'true', message: 'arguments must be a JSON object, got boolean' },
  { name: 'null for arguments', json: 'null', message: 'arguments must be a JSON object, got null' },
  ...['label', 'count', 'ratio', 'flag', 'color'].map((p) => ({
    name: `no ${p}`,
    json: withOut(p),
    message: `missing required parameter "${p}"`,
  })),
  { name: 'an unknown parameter', json: withValue('bogus', '1'), message: 'unknown parameter "bogus"' },
  { name: 'a parameter named __proto__', json: withValue('__proto__', '{"x": 1}'), message: 'unknown parameter "__proto__"' },
  { name: 'a parameter named constructor', json: withValue('constructor', '1'), message: 'unknown parameter "constructor"' },
  ...typeCases
    .filter(([, , m]) => m !== '__accepted__')
    .map(([p, v, m]) => ({ name: `${p} = ${v}`, json: withValue(p, v), message: `parameter "${p}" ${m}` }))
    .map((r) => ({ ...r, message: r.message.replace('parameter "size" "ALL"', '"ALL"') })),
  { name: 'nesting 101 levels deep', json: withValue('tags', deep(101)), message: 'parameter "tags" is nested more than 100 levels deep' },
  // JavaScript cannot hold these, so the TypeScript door cannot be given them.
  ...[
    ['1e400', 'parameter "ratio" holds 1e400, beyond the largest number JavaScript holds'],
    ['-1e309', 'parameter "ratio" holds -1e309, beyond the largest number JavaScript holds'],
    ['1e-400', 'parameter "ratio" holds 1e-400, which JavaScript would round to 0'],
    ['9007199254740993', 'parameter "ratio" holds 9007199254740993, which JavaScript would read as 9007199254740992'],
  ].map(([v, m]): BadRequest => ({ name: `ratio = ${v}`, json: withValue('ratio', v!), message: m!, doors: ['sql', 'cli'] })),
  {
    name: 'an integer beyond 2^53 in an array',
    json: withValue('tags', '[1, 12345678901234567890]'),
    message: 'parameter "tags" holds 12345678901234567890, which JavaScript would read as 12345678901234567000',
    doors: ['sql', 'cli'],
  },
];

function fullMessage(r: BadRequest): string {
  const [type, task] = r.task ?? ['shapes', 'everything'];
  return r.message.startsWith('No task') ? r.message : `${type}.${task}: ${r.message}`;
}

const through = (door: 'sql' | 'ts' | 'cli') => requests.filter((r) => !r.doors || r.doors.includes(door));

test('the table holds well over 150 refusals across the doors', () => {
  expect(through('sql').length + through('ts').length + through('cli').length).toBeGreaterThan(150);
});

describe('through SQL: call insert_job', () => {
  test.each(through('sql'))('$name', async (r) => {
    const [type, task] = r.task ?? ['shapes', 'everything'];
    await expect(db.pool.query(`call ${s}.insert_job($1, $2, 0, $3::json)`, [type, task, r.json])).rejects.toThrow(fullMessage(r));
    expect(await fingerprint()).toBe(before);
  });
});

describe('through TypeScript: JobMaster.enqueue', () => {
  test.each(through('ts'))('$name', async (r) => {
    const [type, task] = r.task ?? ['shapes', 'everything'];
    const error = await jm.enqueue(`${type}.${task}`, JSON.parse(r.json) as never).then(
      () => expect.fail('expected a refusal'),
      (e: unknown) => e,
    );
    expect(isJobMasterError(error), String(error)).toBe(true);
    expect((error as Error).message).toContain(fullMessage(r));
    expect(await fingerprint()).toBe(before);
  });
});

describe('through the CLI: jm enqueue', () => {
  test.concurrent.each(through('cli'))('$name', async (r) => {
    const [type, task] = r.task ?? ['shapes', 'everything'];
    const result = await runJm(['enqueue', type, task, '--json', r.json, ...dbFlags(db)]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
    expect(result.stderr).toContain(fullMessage(r));
    expect(result.stdout).toBe('');
  });
});

describe('inputs only the TypeScript door can be given', () => {
  class Point {
    x = 1;
  }
  const cases: Array<[string, () => Promise<unknown>, string]> = [
    [
      'a function as a value',
      () => jm.enqueue('shapes.everything', { ...JSON.parse(`{${ok}}`), meta: () => 1 }),
      'parameter "meta" holds a function',
    ],
    [
      'a Map as a value',
      () => jm.enqueue('shapes.everything', { ...JSON.parse(`{${ok}}`), meta: new Map() as never }),
      'parameter "meta" holds a Map',
    ],
    [
      'a Date as a value',
      () => jm.enqueue('shapes.everything', { ...JSON.parse(`{${ok}}`), label: new Date() as never }),
      'parameter "label" holds a Date',
    ],
    [
      'a class instance',
      () => jm.enqueue('shapes.everything', { ...JSON.parse(`{${ok}}`), meta: new Point() as never }),
      'parameter "meta" holds a Point',
    ],
    ['NaN', () => jm.enqueue('shapes.everything', { ...JSON.parse(`{${ok}}`), ratio: NaN }), 'parameter "ratio" holds NaN'],
    ['Infinity', () => jm.enqueue('shapes.everything', { ...JSON.parse(`{${ok}}`), ratio: Infinity }), 'parameter "ratio" holds Infinity'],
    [
      'a NUL character',
      () => jm.enqueue('shapes.everything', { ...JSON.parse(`{${ok}}`), label: 'a\u0000' }),
      'parameter "label" holds a NUL character',
    ],
    [
      'a lone surrogate',
      () => jm.enqueue('shapes.everything', { ...JSON.parse(`{${ok}}`), label: '\ud800' }),
      'parameter "label" holds a lone surrogate',
    ],
    [
      'a bigint',
      () => jm.enqueue('shapes.everything', { ...JSON.parse(`{${ok}}`), count: 1n as never }),
      'parameter "count" holds the bigint 1n',
    ],
    ['a Map as the arguments', () => jm.enqueue('shapes.everything', new Map() as never), 'arguments must be a JSON object, got a Map'],
    ['null as the task', () => jm.enqueue(null as never, {}), 'task must be'],
    ['a NUL in the task name', () => jm.enqueue('shapes.every\u0000thing', {}), 'NUL character'],
    ['a NUL in the job key', () => jm.enqueue('shapes.noArgs', {}, { jobKey: 'k\u0000' }), 'NUL character'],
    ['a priority of 1.5', () => jm.enqueue('shapes.noArgs', {}, { priority: 1.5 }), 'priority must be an integer'],
    ['a priority beyond PostgreSQL integers', () => jm.enqueue('shapes.noArgs', {}, { priority: 2 ** 31 }), 'priority must be an integer'],
    ['an invalid runAt', () => jm.enqueue('shapes.noArgs', {}, { runAt: new Date('x') }), 'runAt must be a valid Date'],
    [
      'a runAt in the year 20000',
      () => jm.enqueue('shapes.noArgs', {}, { runAt: new Date('+020000-01-01T00:00:00Z') }),
      'runAt must be a time in the years 1 to 9999',
    ],
    [
      'a job key of 300 characters',
      () => jm.enqueue('shapes.noArgs', {}, { jobKey: 'k'.repeat(300) }),
      'jobKey must be a string of 1 to 255',
    ],
    ['an unknown onConflict', () => jm.enqueue('shapes.noArgs', {}, { jobKey: 'k', onConflict: 'merge' as never }), 'onConflict must be'],
    [
      'a batch with one bad job',
      () => jm.enqueueMany([{ task: 'shapes.noArgs' }, { task: 'shapes.noArgs', args: { x: () => 1 } as never }]),
      'parameter "x" holds a function',
    ],
  ];
  test.each(cases)('%s is refused with a JobMaster error', async (_name, call, message) => {
    const error = await call().then(
      () => expect.fail('expected a refusal'),
      (e: unknown) => e,
    );
    expect(isJobMasterError(error), String((error as Error)?.stack)).toBe(true);
    expect((error as Error).message).toContain(message);
    expect(await fingerprint()).toBe(before);
  });
});

describe('inputs only the CLI door can be given', () => {
  const task = ['enqueue', 'shapes', 'everything'];
  const cases: Array<[string, string[], string, number, string?]> = [
    ['--json that is not JSON', [...task, '--json', '{oops'], '--json is not valid JSON', 1],
    ['--json null', [...task, '--json', 'null'], 'arguments must be a JSON object, got null', 1],
    [
      '--json from a missing file',
      [...task, '--json', '@/nonexistent/args.json'],
      '--json @/nonexistent/args.json: cannot read /nonexistent/args.json (ENOENT)',
      1,
    ],
    ['--json - with an array on standard input', [...task, '--json', '-'], 'arguments must be a JSON object, got array', 1, '[1]'],
    ['--arg __proto__=5', [...task, '--json', `{${ok}}`, '--arg', '__proto__=5'], 'unknown parameter "__proto__"', 1],
    ['--arg without =', [...task, '--arg', 'label'], '--arg must look like name=value', 1],
    [
      '--arg with a number JavaScript would round',
      [...task, '--json', `{${ok}}`, '--arg', 'ratio=9007199254740993'],
      'which JavaScript would read as 9007199254740992',
      1,
    ],
    ['--priority abc', [...task, '--json', `{${ok}}`, '--priority', 'abc'], '--priority must be an integer', 1],
    [
      '--priority far out of range',
      [...task, '--json', `{${ok}}`, '--priority', '99999999999999999999'],
      'priority must be an integer between',
      1,
    ],
    ['--run-at that is not a time', [...task, '--json', `{${ok}}`, '--run-at', 'tomorrow-ish'], '--run-at must be an ISO 8601 time', 1],
    [
      '--run-at in the year 20000',
      [...task, '--json', `{${ok}}`, '--run-at', '+020000-01-01T00:00:00Z'],
      'must be a time in the years 1 to 9999',
      1,
    ],
    ['--delay that is not a duration', [...task, '--json', `{${ok}}`, '--delay', 'soon'], '--delay', 1],
    ['--on-conflict without --key', [...task, '--json', `{${ok}}`, '--on-conflict', 'ignore'], '--on-conflict needs --key', 1],
    ['a key of 300 characters', [...task, '--json', `{${ok}}`, '--key', 'k'.repeat(300)], '1 to 255', 1],
    ['--schema with a quote', [...task, '--json', `{${ok}}`, '--schema', 'x"; drop'], 'Invalid schema name', 1],
    ['a port beyond 65535', [...task, '--json', `{${ok}}`, '--database-url', 'postgres://u@127.0.0.1:99999/x'], 'names port "99999"', 1],
    [
      'a port that is not a number',
      [...task, '--json', `{${ok}}`, '--database-url', 'postgres://u@127.0.0.1:abc/x'],
      'names port "abc"',
      1,
    ],
    [
      'a socket directory that does not exist',
      [...task, '--json', `{${ok}}`, '--database-url', '/nonexistent/socket'],
      'no PostgreSQL socket there',
      1,
    ],
    [
      'a connection string that is not one',
      [...task, '--json', `{${ok}}`, '--database-url', 'mysql://x'],
      'is not a postgres:// connection string',
      1,
    ],
    ['a task glob of 70,000 characters', ['deploy', '--tasks', 'a'.repeat(70_000)], 'is 70000 characters long: at most 4096', 1],
    ['an unknown flag', [...task, '--nope'], "unknown option '--nope'", 2],
  ];
  test.concurrent.each(cases)('%s', async (_name, argv, message, code, input) => {
    const flags = argv.includes('--database-url') ? ['--schema', db.schema] : dbFlags(db);
    const result = await runJm([...argv, ...(argv.includes('--schema') ? [] : flags)], input === undefined ? {} : { input });
    expect(result.code, result.stderr).toBe(code);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain('internal error');
    if (code === 1) expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
  });
});
