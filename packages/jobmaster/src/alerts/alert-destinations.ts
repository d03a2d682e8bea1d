import type { FailureAlertHandler } from './alert-options.js';
import type { FailureAlert } from './failure-alert.js';
import { runAlertCommand } from './run-alert-command.js';
import { postAlert } from './post-alert.js';

/**
 * One place alerts go. `name` is recorded in the alert's `delivered_to` once it took the
 * alert, so a retry after another destination failed does not repeat this one.
 */
export interface AlertDestination {
  name: 'webhook' | 'command' | 'onJobFailed' | 'onFailure';
  /** Whether this destination takes this alert at all. */
  wants(alert: FailureAlert): boolean;
  /** Delivers, or throws an Error whose message says what went wrong, in one line. Aborted at the timeout. */
  deliver(alert: FailureAlert, signal: AbortSignal): Promise<void>;
}

/** POSTs the alert as JSON to `url`. */
export function webhookDestination(url: URL, timeoutMs: number): AlertDestination {
  return { name: 'webhook', wants: () => true, deliver: (alert, signal) => postAlert(url, alert, signal, timeoutMs) };
}

/** Runs `command` with the alert on standard input. */
export function commandDestination(command: string, timeoutMs: number): AlertDestination {
  return { name: 'command', wants: () => true, deliver: (alert, signal) => runAlertCommand(command, alert, signal, timeoutMs) };
}

/** The worker-wide TypeScript handler. */
export function workerHandlerDestination(handler: FailureAlertHandler, timeoutMs: number): AlertDestination {
  return {
    name: 'onJobFailed',
    wants: () => true,
    deliver: (alert, signal) => callHandler('onJobFailed', handler, alert, signal, timeoutMs),
  };
}

/** The tasks' own `onFailure` handlers, by `type.task` name. */
export function taskHandlersDestination(handlers: Map<string, FailureAlertHandler>, timeoutMs: number): AlertDestination {
  return {
    name: 'onFailure',
    wants: (alert) => handlers.has(alert.task),
    deliver: (alert, signal) => callHandler(`${alert.task} onFailure`, handlers.get(alert.task)!, alert, signal, timeoutMs),
  };
}

async function callHandler(
  label: string,
  handler: FailureAlertHandler,
  alert: FailureAlert,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<void> {
  let stop: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = (): void => reject(new Error(`${label} did not finish within ${timeoutMs / 1000} s`));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    stop = () => signal.removeEventListener('abort', onAbort);
  });
  try {
    // A copy: a handler that changes the alert cannot change what the other destinations get.
    await Promise.race([Promise.resolve().then(() => handler(structuredClone(alert))), aborted]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(message.startsWith(label) ? message : `${label} threw: ${firstLine(message)}`);
  } finally {
    stop();
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}
