// The targets of issues 6 and 20 against the figures of this run, printed after the last suite.
import type { BenchOptions } from './options.js';
import type { Row, Table } from './results.js';
import { figure } from './stats.js';
import { bestRow } from './suites/drain.js';

interface Verdict {
  target: string;
  measured: string;
  /** undefined when the suite behind it did not run (or failed). */
  met: boolean | undefined;
}

const int = (v: number): string => Math.round(v).toLocaleString('en-US');
const times = (v: number): string => `${v.toFixed(2)}×`;

function row(table: Table | undefined, key: string): Row | undefined {
  return table?.rows.find((r) => r.key === key);
}

function med(r: Row | undefined, metric: string): number {
  return figure(r?.metrics[metric] ?? []).median;
}

function check(target: string, value: number, measured: () => string, met: (v: number) => boolean): Verdict {
  return Number.isFinite(value)
    ? { target, measured: measured(), met: met(value) }
    : { target, measured: 'not measured in this run', met: undefined };
}

function drainTarget(table: Table | undefined, jobs: string): Verdict {
  const ours = row(table, 'jobmaster');
  const best = table ? bestRow(table.rows, 'graphile-') : undefined;
  const boss = table ? bestRow(table.rows, 'pg-boss-lc') : undefined;
  const ratio = med(ours, 'rate') / med(best, 'rate');
  return check(
    `drain of ${jobs} no-op jobs ≥ 1.2× graphile-worker's best (worker start → last commit)`,
    ratio,
    () => {
      const pools = best?.key === 'graphile-2' ? '2 pools' : '1 pool';
      const old = med(ours, 'startRate') / med(best, 'startRate');
      const bossText = boss
        ? `; pg-boss best (${boss.key!.replace('pg-boss-lc', 'localConcurrency ')}) ${int(med(boss, 'rate'))}, ${times(med(ours, 'rate') / med(boss, 'rate'))}`
        : '';
      return `${int(med(ours, 'rate'))} vs ${int(med(best, 'rate'))} (${pools}): **${times(ratio)}** (old first-start → last-start figure ${times(old)})${bossText}`;
    },
    (v) => v >= 1.2,
  );
}

/** The targets table: for each target, the value measured in this run and whether it is met. */
export function targetsMarkdown(tables: Map<string, Table>, options: Pick<BenchOptions, 'jobs' | 'longDrainJobs' | 'serveJobs'>): string {
  const drain = tables.get('drain');
  const enqueue = tables.get('enqueue');
  const latency = tables.get('latency');
  const startup = tables.get('startup');
  const ceiling = tables.get('ceiling');
  const memory = tables.get('memory');
  const verdicts: Verdict[] = [drainTarget(drain, int(options.jobs)), drainTarget(tables.get('drain-long'), int(options.longDrainJobs))];

  const enq = med(row(enqueue, 'jobmaster'), 'rate') / med(row(enqueue, 'graphile-worker'), 'rate');
  verdicts.push(
    check(
      'batch enqueue ≥ 1.5× graphile-worker `addJobs`',
      enq,
      () => `${int(med(row(enqueue, 'jobmaster'), 'rate'))} vs ${int(med(row(enqueue, 'graphile-worker'), 'rate'))}: **${times(enq)}**`,
      (v) => v >= 1.5,
    ),
  );
  const share = med(row(drain, 'jobmaster'), 'rate') / med(row(ceiling, 'k1000'), 'rate');
  verdicts.push(
    check(
      'drain ≥ 50% of the bare ceiling (1,000 jobs per transaction), same run',
      share,
      () => `${int(med(row(drain, 'jobmaster'), 'rate'))} of ${int(med(row(ceiling, 'k1000'), 'rate'))}: **${(100 * share).toFixed(0)}%**`,
      (v) => v >= 0.5,
    ),
  );
  for (const p of ['p50', 'p99']) {
    const ours = med(row(latency, 'jobmaster'), p);
    const theirs = med(row(latency, 'graphile-worker'), p);
    const samples = med(row(latency, 'jobmaster'), 'samples');
    verdicts.push(
      check(
        `latency ${p} ≤ graphile-worker's`,
        ours / theirs,
        () => `${ours.toFixed(2)} ms vs ${theirs.toFixed(2)} ms: **${times(ours / theirs)}** (${int(samples)} samples per run)`,
        (v) => v <= 1,
      ),
    );
  }
  const memoryPeak = med(row(memory, 'jobmaster'), 'peak');
  const drainPeak = Math.max(...(row(drain, 'jobmaster')?.metrics.rss ?? []));
  const peak = Number.isFinite(memoryPeak) ? memoryPeak : drainPeak;
  verdicts.push(
    check(
      'worker peak RSS < 150 MB',
      peak,
      () =>
        `**${peak.toFixed(0)} MB** (${Number.isFinite(memoryPeak) ? `the ${memory!.title.match(/\(([\d,]+) no-op/)?.[1] ?? ''}-job memory drain` : 'largest of the drain table'})`,
      (v) => v < 150,
    ),
  );
  const floor = med(row(startup, 'node'), 'ms');
  for (const [key, name, limit] of [
    ['enqueue', '`jm enqueue` of one job', 200],
    ['run', '`jm run --until-empty`, empty queue, compiled JavaScript tasks', 300],
    ['run-ts', '`jm run --until-empty`, empty queue, TypeScript tasks', 300],
  ] as const) {
    const ms = med(row(startup, key), 'ms');
    verdicts.push(
      check(
        `${name} < ${limit} ms, whole process`,
        ms,
        () => `**${int(ms)} ms** (${(ms / floor).toFixed(1)}× \`node -e 0\`, ${int(floor)} ms)`,
        (v) => v < limit,
      ),
    );
  }
  // The largest size of the scale suite (1,000,000 by default), its status queries after vacuum analyze.
  const scale = tables.get('scale');
  const largest = scale?.rows.at(-1);
  verdicts.push(
    check(
      `\`jm status\` queries < 100 ms with ${largest?.label ?? '1,000,000 jobs'} (after vacuum analyze)`,
      med(largest, 'status'),
      () =>
        `**${med(largest, 'status').toFixed(0)} ms** (\`--since all\`: ${med(largest, 'statusAll').toFixed(0)} ms; the whole process ${int(med(largest, 'cli'))} ms)`,
      (v) => v < 100,
    ),
  );
  const serve = tables.get('serve');
  const slowest = serve?.rows.reduce<Row | undefined>((a, r) => (a && med(a, 'ms') >= med(r, 'ms') ? a : r), undefined);
  verdicts.push(
    check(
      `every \`jm serve\` page and API list < 300 ms with ${int(options.serveJobs)} jobs (target set at 1,000,000)`,
      med(slowest, 'ms'),
      () => `slowest **${med(slowest, 'ms').toFixed(0)} ms** (${slowest?.label ?? ''}) of ${serve?.rows.length ?? 0} requests`,
      (v) => v < 300,
    ),
  );
  const lines = ['### Targets against this run', '', '| target | measured (medians) | verdict |', '| --- | --- | --- |'];
  for (const v of verdicts)
    lines.push(`| ${v.target} | ${v.measured} | ${v.met === undefined ? 'n/a' : v.met ? '**met**' : '**missed**'} |`);
  lines.push('', 'Every figure comes from the tables above, of this same run; suites left out with --only show n/a.');
  return lines.join('\n');
}
