import type { AlertStatus } from 'jobmaster';
import type { Output } from '../output.js';
import { formatAgo } from './format-time.js';
import { oneLine } from './table-cells.js';

function count(n: number, capped: boolean, cap: number): string {
  return capped && n >= cap ? `${cap}+` : String(n);
}

/**
 * `jm status`'s failure-alert section: undelivered alerts (count, oldest, the latest delivery
 * error) and whether any live worker delivers them.
 */
export function alertsSection(out: Output, alerts: AlertStatus, now: Date, cap: number): string {
  const c = out.color;
  const title = c.bold('Failure alerts');
  const lines: string[] = [];
  if (alerts.undelivered === 0) lines.push(alerts.undeliveredAttempts === 0 ? 'All delivered.' : 'Every final-failure alert delivered.');
  else {
    const n = count(alerts.undelivered, alerts.capped, cap);
    lines.push(c.red(`${n} undelivered`) + ` (oldest raised ${formatAgo(alerts.oldestAt, now)})`);
  }
  if (alerts.undeliveredAttempts > 0) {
    const n = count(alerts.undeliveredAttempts, alerts.capped, cap);
    const who = alerts.deliverers.attempt > 0 ? 'undelivered' : 'kept for workers run with --alert-on attempt (none is live)';
    lines.push(`${n} failed-attempt alert${alerts.undeliveredAttempts === 1 ? '' : 's'} ${who}`);
  }
  if (alerts.lastError) {
    const e = alerts.lastError;
    lines.push(
      c.yellow(`Last delivery error ${formatAgo(e.at, now)}`) +
        `, alert ${e.alertId} (job ${e.jobId} ${e.task}, ${e.deliveries} attempt${e.deliveries === 1 ? '' : 's'}): ${oneLine(e.message, 200)}`,
    );
  }
  const deliverers = alerts.deliverers.final + alerts.deliverers.attempt;
  if (deliverers === 0 && alerts.undelivered > 0) {
    lines.push(
      c.yellow('No live worker delivers alerts:') +
        ' they wait for one (jm run --alert-webhook URL or --alert-command CMD, or a task with onFailure).',
    );
  }
  return `${title}\n${lines.join('\n')}`;
}
