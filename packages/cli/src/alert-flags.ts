import type { Command } from 'commander';
import { InvalidArgumentsError, parseAlertCommand, parseAlertOn, parseWebhookUrl, type AlertOptions } from 'jobmaster';
import { parseWait } from './parse.js';

/** The `jm run --alert-*` flags, as typed. */
export interface AlertFlags {
  alertWebhook?: string;
  alertCommand?: string;
  alertOn?: string;
  alertTimeout?: string;
  alertRate?: string;
  alertRetry?: string;
}

/** Adds the failure-alert flags to `jm run`. */
export function withAlertFlags(command: Command): Command {
  return command
    .option('--alert-webhook <url>', 'POST a JSON alert to this http(s) URL when a job fails for good')
    .option('--alert-command <cmd>', 'run this shell command per alert, with the alert as JSON on stdin and in JM_ALERT_* variables')
    .option('--alert-on <when>', 'final: jobs that failed for good; attempt: every failed attempt too (default: final)')
    .option('--alert-timeout <duration>', 'how long one delivery may take before it is retried (default: 10s)')
    .option('--alert-rate <n>', 'most alert deliveries started per second (default: 10)')
    .option('--alert-retry <duration>', 'wait before the first retry of an undelivered alert, doubling up to 5m (default: 1s)');
}

/** The alert options the flags give, each checked here so that a bad one is named as typed. */
export function alertOptionsFromFlags(flags: AlertFlags): AlertOptions {
  return {
    ...(flags.alertWebhook !== undefined && { webhook: parseWebhookUrl(flags.alertWebhook, '--alert-webhook') }),
    ...(flags.alertCommand !== undefined && { command: parseAlertCommand(flags.alertCommand, '--alert-command') }),
    ...(flags.alertOn !== undefined && { on: parseAlertOn(flags.alertOn, '--alert-on') }),
    ...(flags.alertTimeout !== undefined && { timeoutMs: parseWait(flags.alertTimeout, '--alert-timeout') }),
    ...(flags.alertRate !== undefined && { perSecond: parseRate(flags.alertRate) }),
    ...(flags.alertRetry !== undefined && { retryDelayMs: parseWait(flags.alertRetry, '--alert-retry') }),
  };
}

function parseRate(text: string): number {
  const n = Number(text.trim());
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(n > 0) || n > 1_000_000) {
    throw new InvalidArgumentsError(
      `--alert-rate must be a positive number of deliveries per second (at most 1000000), got ${JSON.stringify(text)}`,
    );
  }
  return n;
}
