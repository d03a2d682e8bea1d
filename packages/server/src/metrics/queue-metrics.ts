import type * as PromClient from 'prom-client';
import { BLOCKED_REASONS, readQueueGauges } from 'jobmaster';
import type { ServerContext } from '../server-env.js';

/** prom-client, loaded at the first scrape: loading @jobmaster/server (every `jm` command) stays cheap. */
let promClient: Promise<typeof PromClient> | undefined;

/**
 * The queue gauges in Prometheus text format, read in one query (`queue_gauges`) at each
 * scrape into a registry made for that scrape: never prom-client's global registry, and no
 * state shared between concurrent scrapes. Every task has its series, zeros included; the
 * only labels are `task` and `reason`.
 */
export async function queueMetrics(ctx: ServerContext): Promise<{ text: string; contentType: string }> {
  const prom = await (promClient ??= import('prom-client'));
  const started = process.hrtime.bigint();
  const tasks = await readQueueGauges(ctx.pool, ctx.schema);
  const querySeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const registry = new prom.Registry();
  const registers = [registry];
  const gauge = (name: string, help: string, labelNames: string[] = ['task']): PromClient.Gauge =>
    new prom.Gauge({ name, help, labelNames, registers });
  const waiting = gauge('jobmaster_queue_waiting_jobs', "Waiting jobs, due or not (blocked ones included), by task ('type_key.task_key').");
  const running = gauge('jobmaster_queue_running_jobs', 'Running jobs (those claimed ahead by a worker included), by task.');
  const blocked = gauge(
    'jobmaster_queue_blocked_jobs',
    'Waiting jobs that cannot be claimed now, by task and reason: scheduled (run-at in the future), retry_backoff, dependencies.',
    ['task', 'reason'],
  );
  const oldest = gauge(
    'jobmaster_queue_oldest_waiting_age_seconds',
    'How long the longest-waiting due job (run-at passed, not sent back to wait for dependencies) has been due, by task; 0 when none.',
  );
  const failed = gauge('jobmaster_queue_failed_last_hour_jobs', 'Jobs that failed for good in the last hour, by task.');
  for (const t of tasks) {
    const task = t.task;
    waiting.set({ task }, t.waiting);
    running.set({ task }, t.running);
    for (const reason of BLOCKED_REASONS) blocked.set({ task, reason }, t.blocked[reason]);
    oldest.set({ task }, t.oldestDueSeconds);
    failed.set({ task }, t.failedLastHour);
  }
  gauge('jobmaster_queue_metrics_query_seconds', 'How long reading these gauges from the database took.', []).set(querySeconds);
  return { text: await registry.metrics(), contentType: registry.contentType };
}
