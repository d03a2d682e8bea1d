// Not committed: produces the README's sample scrapes.
import { spawn, execFileSync } from 'node:child_process';
import pg from 'pg';
import { createApiToken, enqueueJob, enqueueJobs } from '/work/wt-metrics/packages/jobmaster/dist/index.js';
import { createHandler } from '/work/wt-metrics/packages/server/dist/index.js';
const url = 'postgres://postgres@127.0.0.1:5432/postgres';
const pool = new pg.Pool({ connectionString: url, max: 4 });
const JM = '/work/wt-metrics/packages/cli/dist/main.js';
const TASKS = ['--tasks', 'test/fixtures/observability/metered.ts'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mode = process.argv[2];
const schema = `jm_readme_${mode}`;
const q = async (text, values = []) => (await pool.query(text.replaceAll('S.', `"${schema}".`), values)).rows;
try {
  await pool.query(`drop schema if exists "${schema}" cascade`);
  execFileSync(process.execPath, [JM, 'deploy', '--database-url', url, '--schema', schema, ...TASKS], { stdio: 'inherit' });
  if (mode === 'worker') {
    const child = spawn(process.execPath, [JM, 'run', '--database-url', url, '--schema', schema, ...TASKS, '--metrics-port', '9464', '--concurrency', '4', '--process-units', '40'], { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; process.stderr.write(d); });
    while (!/Prometheus metrics at/.test(err)) await sleep(50);
    const jobs = [
      ...Array.from({ length: 20 }, (_, n) => ({ typeKey: 'metered', taskKey: 'ok', args: { n } })),
      ...Array.from({ length: 5 }, (_, n) => ({ typeKey: 'metered', taskKey: 'flaky', args: { n } })),
      ...Array.from({ length: 3 }, (_, n) => ({ typeKey: 'metered', taskKey: 'doomed', args: { n } })),
    ];
    await enqueueJobs(pool, schema, jobs);
    while ((await q(`select count(*)::int as n from S.jobs where status in ('waiting', 'running')`))[0].n > 0) await sleep(100);
    await sleep(500);
    const text = await (await fetch('http://127.0.0.1:9464/metrics')).text();
    console.log('=====SCRAPE');
    console.log(text);
    child.kill('SIGTERM');
    await new Promise((r) => child.on('close', r));
  } else {
    const token = (await createApiToken(pool, schema, { name: 'prometheus', scope: 'read' })).token;
    const enqueue = async (taskKey, n, runAt) => (await enqueueJob(pool, schema, { typeKey: 'metered', taskKey, args: { n }, ...(runAt && { runAt }) })).id;
    const claim = (taskKey) => q(`select id::text, action from S.claim_jobs('worker-1', 'node-1', 4242, 100, 10, 60, array['metered.' || $1::text])`, [taskKey]);
    const fail = (id) => q(`select * from S.fail_jobs('worker-1', jsonb_build_array(jsonb_build_object('id', $1::bigint, 'message', 'boom')))`, [id]);
    const oldest = await enqueue('ok', 1);
    await enqueue('ok', 2); await enqueue('ok', 3);
    await q(`update S.jobs set created_at = now() - interval '10 minutes', run_at = now() - interval '10 minutes' where id = $1`, [oldest]);
    await enqueue('ok', 10, new Date(Date.now() + 3600000)); await enqueue('ok', 11, new Date(Date.now() + 3600000));
    const patient = await enqueue('patient', 1); await claim('patient'); await fail(patient);
    await enqueue('after', 7); await claim('after');
    await enqueue('flaky', 1); await claim('flaky');
    const doomed = await enqueue('doomed', 1); await claim('doomed'); await fail(doomed);
    const handler = createHandler({ pool, schema });
    const res = await handler(new Request('http://x/metrics', { headers: { authorization: `Bearer ${token}` } }));
    console.log('=====SCRAPE');
    console.log(await res.text());
    const unauth = await handler(new Request('http://x/metrics'));
    console.log('=====401', unauth.status, unauth.headers.get('www-authenticate'), await unauth.text());
    handler.close();
  }
} finally {
  await pool.query(`drop schema if exists "${schema}" cascade`);
  await pool.end();
}
