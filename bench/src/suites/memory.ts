import { newRow, record, type Table } from '../results.js';
import { fill, MB, type SuiteContext } from './context.js';
import { runDrain } from './drain-run.js';

/** JobMaster's worker memory over one long drain (defaults): RSS at each quarter of the drain and at its peak. */
export async function memorySuite(ctx: SuiteContext): Promise<Table> {
  const jobs = ctx.options.longDrainJobs;
  const row = newRow('JobMaster defaults', 'jobmaster', 'jobmaster');
  const result = await runDrain(ctx, {
    label: row.label,
    system: 'jobmaster',
    settings: {},
    prepare: async (p) => (await fill(p, jobs, 5_000), jobs),
    timeBoxMs: 600_000,
  });
  const at = (fraction: number): number => {
    const sample = result.report.samples.find((s) => s.count >= fraction * jobs) ?? result.report.samples.at(-1);
    return (sample?.rss ?? Number.NaN) / MB;
  };
  record(row, 'rate', result.rate);
  record(row, 'base', result.report.baselineRss / MB);
  for (const q of [25, 50, 75, 100]) record(row, `q${q}`, at(q / 100));
  record(row, 'peak', result.peakRssMb);
  ctx.log(
    `memory: ${Math.round(result.rate)} jobs/s, RSS ${[25, 50, 75, 100].map((q) => at(q / 100).toFixed(0)).join(' / ')} MB, peak ${result.peakRssMb.toFixed(0)} MB`,
  );
  return {
    title: `Worker memory over a long drain (${jobs.toLocaleString('en-US')} no-op jobs, one run)`,
    columns: [
      { metric: 'rate', heading: 'fair jobs/s (worker start → last completion committed)', digits: 0, ratio: false },
      { metric: 'base', heading: 'RSS before start (MB)', digits: 0, ratio: false },
      { metric: 'q25', heading: 'RSS at 25% (MB)', digits: 0, ratio: false },
      { metric: 'q50', heading: 'at 50%', digits: 0, ratio: false },
      { metric: 'q75', heading: 'at 75%', digits: 0, ratio: false },
      { metric: 'q100', heading: 'at 100%', digits: 0, ratio: false },
      { metric: 'peak', heading: 'peak RSS (MB)', digits: 0, ratio: false },
    ],
    rows: [row],
    note: 'Target: peak under 150 MB. RSS sampled every 250 ms inside the worker process; peak also includes the kernel high-water mark.',
  };
}
