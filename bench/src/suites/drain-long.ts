import type { Table } from '../results.js';
import { fill, type SuiteContext } from './context.js';
import type { DrainSpec } from './drain-run.js';
import { bestRow, DRAIN_COLUMNS, DRAIN_NOTE, graphileBestSpecs, jobMasterDefaultsLabel, pgBossBestSpec, runDrainRows } from './drain.js';

/**
 * The fair drain again on a larger queue (`--long-drain`, default 100,000 jobs): JobMaster at its
 * defaults against graphile-worker at its best (1 and 2 pools) and pg-boss at its best settings,
 * with the localConcurrency that won the 20,000-job drain table of this run (1 when it did not run).
 */
export async function drainLongSuite(ctx: SuiteContext): Promise<Table> {
  const jobs = ctx.options.longDrainJobs;
  const prepare: DrainSpec['prepare'] = async (producer) => {
    await fill(producer, jobs, 5_000);
    return jobs;
  };
  const drainTable = ctx.tables.get('drain');
  const bestKey = drainTable ? bestRow(drainTable.rows, 'pg-boss-lc')?.key : undefined;
  const localConcurrency = bestKey ? Number(bestKey.slice('pg-boss-lc'.length)) : 1;
  const specs: DrainSpec[] = [
    { label: jobMasterDefaultsLabel(), system: 'jobmaster', settings: {}, prepare, key: 'jobmaster' },
    ...graphileBestSpecs(prepare),
    pgBossBestSpec(localConcurrency, prepare),
  ];
  const rows = await runDrainRows(ctx, 'drain-long', specs);
  rows[3]!.notes.push(bestKey ? 'localConcurrency: the best of the drain table above' : 'localConcurrency 1: the drain table did not run');
  return {
    title: `Processed no-op jobs/s, draining ${jobs.toLocaleString('en-US')} jobs (worker in its own process)`,
    columns: DRAIN_COLUMNS,
    rows,
    reference: specs[0]!.label,
    note: DRAIN_NOTE,
  };
}
