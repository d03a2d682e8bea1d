import type { Queryable } from '../db/queryable.js';
import type { TaskDefinition } from '../registry/task-definition.js';
import type { WorkerEvent } from '../worker/worker-events.js';
import type { ResolvedWorkerOptions } from '../worker/worker-options.js';
import { AlertDelivery } from './alert-delivery.js';
import {
  commandDestination,
  taskHandlersDestination,
  webhookDestination,
  workerHandlerDestination,
  type AlertDestination,
} from './alert-destinations.js';
import { InvalidAlertOptionError } from './alert-errors.js';
import type { FailureAlertHandler, ResolvedAlertOptions } from './alert-options.js';
import { AlertStore } from './alert-store.js';

/** The worker options the alert delivery uses. */
export type WorkerAlertSettings = Pick<ResolvedWorkerOptions, 'schema' | 'alerts' | 'pollInterval' | 'logger'>;

/**
 * The alert delivery of a worker, or null when it has no destination (no webhook, command,
 * `onJobFailed`, nor a task with `onFailure`): its alerts then stay recorded, undelivered,
 * for a worker that has one (`jm status` counts them). A worker whose only destinations are
 * tasks' `onFailure` handlers takes only those tasks' alerts.
 */
export function createWorkerAlerts(
  db: Queryable,
  workerId: string,
  settings: WorkerAlertSettings,
  onJobFailed: FailureAlertHandler | undefined,
  definitions: Iterable<TaskDefinition>,
): AlertDelivery | null {
  const o = settings.alerts;
  if (onJobFailed !== undefined && typeof onJobFailed !== 'function') {
    throw new InvalidAlertOptionError('onJobFailed', onJobFailed, 'must be a function');
  }
  const handlers = new Map<string, FailureAlertHandler>();
  for (const d of definitions) if (d.onFailure) handlers.set(`${d.typeKey}.${d.taskKey}`, d.onFailure);
  const destinations: AlertDestination[] = [];
  if (o.webhook) destinations.push(webhookDestination(o.webhook, o.timeoutMs));
  if (o.command) destinations.push(commandDestination(o.command, o.timeoutMs));
  if (onJobFailed) destinations.push(workerHandlerDestination(onJobFailed, o.timeoutMs));
  const everyTask = destinations.length > 0;
  if (handlers.size > 0) destinations.push(taskHandlersDestination(handlers, o.timeoutMs));
  if (destinations.length === 0) return null;
  const store = new AlertStore(db, { workerId, on: o.on, tasks: everyTask ? null : [...handlers.keys()] }, settings.schema);
  return new AlertDelivery(store, destinations, o, settings.schema, settings.pollInterval, settings.logger);
}

/** `onEvent` that also wakes the alert delivery when this worker records a failure it alerts on. */
export function wakeAlertsOnFailure(
  onEvent: ((event: WorkerEvent) => void) | undefined,
  alerts: AlertDelivery | null,
  options: ResolvedAlertOptions,
): (event: WorkerEvent) => void {
  const forward = onEvent ?? (() => {});
  if (alerts === null) return forward;
  return (event) => {
    if (
      (event.type === 'job-end' && (event.status === 'failed' || (event.status === 'retrying' && options.on === 'attempt'))) ||
      (event.type === 'job-handled' && event.action === 'failed')
    ) {
      alerts.poke();
    }
    forward(event);
  };
}
