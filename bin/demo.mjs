// The README's main command: deploys the examples, puts jobs on the queue through the CLI
// and through SQL, runs them until the queue is empty, and shows the result. It uses the
// embedded database in .jm/ unless DATABASE_URL points at a PostgreSQL server.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const jm = fileURLToPath(new URL('./jm', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'jm-demo-'));
const sumFile = join(work, 'sum.txt');
const chainFile = join(work, 'chain.txt');

// Quoted so the printed command can be pasted into a POSIX shell.
function shellQuote(arg) {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  // SQL with its own single quotes reads best in double quotes, as the README writes it.
  if (arg.includes("'") && !/[$`\\!]/.test(arg)) return `"${arg.replace(/"/g, '\\"')}"`;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

function step(title, args, { allowFailure = false } = {}) {
  process.stdout.write(`\n\u001b[1m$ bin/jm ${args.map(shellQuote).join(' ')}\u001b[0m   # ${title}\n`);
  try {
    execFileSync(process.execPath, [jm, ...args], { cwd: root, stdio: 'inherit', env: process.env });
  } catch (error) {
    if (!allowFailure) {
      process.stderr.write(`\nThe demo stopped: "jm ${args[0]}" exited with ${error.status}.\n`);
      process.exit(error.status || 1);
    }
  }
}

const where = process.env.DATABASE_URL ? 'the server in DATABASE_URL' : 'the embedded database in .jm/';
process.stdout.write(`JobMaster demo on ${where}; files go to ${work}\n`);

step('create the schema and sync the example tasks', ['deploy']);
step('what was registered', ['tasks']);
step("the original README's SQL call, verbatim", [
  'sql',
  `call jobmaster.insert_job('things1', 'foo', 10, '{"file_path": "${sumFile}", "number": 2}'::json)`,
]);
step('baz needs foo and bar first: the worker inserts them', [
  'enqueue',
  'nice_tasks',
  'baz',
  '--json',
  JSON.stringify({ file_path: chainFile }),
]);
step('"ALL" fans out over every region x format', [
  'enqueue',
  'reports',
  'extract',
  '--json',
  '{"region": "ALL", "format": "ALL", "year": 2026}',
]);
step(
  'a job that breaks the rules is refused, and nothing is stored',
  ['enqueue', 'things1', 'foo', '--json', '{"file_path": "/tmp/x", "number": 7}'],
  { allowFailure: true },
);
step('the example workflow (examples/workflows/pipeline.yaml), checked against the tasks', ['workflows']);
step('its graph, as Mermaid', ['graph', 'pipeline']);
process.stdout.write(
  `\n\u001b[1m$ bin/jm workflow start pipeline --json '{"day": "2026-12-03"}'\u001b[0m   # start a run: prints its id\n`,
);
const runId = execFileSync(process.execPath, [jm, 'workflow', 'start', 'pipeline', '--json', '{"day": "2026-12-03"}'], {
  cwd: root,
  encoding: 'utf8',
  env: process.env,
}).trim();
process.stdout.write(`${runId}\n`);
step('run everything that can run, then exit (as cron would)', ['run', '--until-empty']);
step('the run: extract, then transform and profile in parallel, then load with their results', ['workflow', 'status', runId]);
step('what happened', ['status']);

process.stdout.write(`\n${sumFile} contains: ${readFileSync(sumFile, 'utf8')}\n`);
process.stdout.write(`${chainFile} contains: ${readFileSync(chainFile, 'utf8')}  (foo wrote 10, bar added 5 and "A", baz read it)\n`);
