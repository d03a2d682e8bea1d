import { spawn } from 'node:child_process';
import type { FailureAlert } from './failure-alert.js';

/** Most characters of the error message passed in `JM_ALERT_MESSAGE` (the full one is on standard input). */
const MESSAGE_ENV_LIMIT = 4_000;

/** The `JM_ALERT_*` variables an alert command receives. */
export function alertEnvironment(alert: FailureAlert): Record<string, string> {
  return {
    JM_ALERT_ID: alert.alertId,
    JM_ALERT_EVENT: alert.event,
    JM_ALERT_SCHEMA: alert.schema,
    JM_ALERT_JOB_ID: alert.jobId,
    JM_ALERT_TASK: alert.task,
    JM_ALERT_FINAL: String(alert.final),
    JM_ALERT_ATTEMPT: String(alert.attempt),
    JM_ALERT_MAX_ATTEMPTS: String(alert.maxAttempts),
    JM_ALERT_CAUSE: alert.cause,
    JM_ALERT_MESSAGE: alert.error.message.slice(0, MESSAGE_ENV_LIMIT).replace(/\0/g, ''),
    JM_ALERT_FAILED_AT: alert.failedAt.toISOString(),
    JM_ALERT_DELIVERY: String(alert.delivery),
  };
}

/**
 * Runs the alert command through the shell, in a process group of its own, with the alert as
 * JSON on standard input and in `JM_ALERT_*` variables. Resolves when it exits with status 0;
 * rejects with a one-line reason otherwise. At the timeout the whole group is killed.
 */
export function runAlertCommand(command: string, alert: FailureAlert, signal: AbortSignal, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, {
      shell: true,
      detached: process.platform !== 'win32',
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...process.env, ...alertEnvironment(alert) },
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2_000)));
    // A command that does not read its input must not fail the delivery.
    child.stdin!.on('error', () => {});
    child.stdin!.end(`${JSON.stringify(alert)}\n`);
    const kill = (): void => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    };
    if (signal.aborted) kill();
    signal.addEventListener('abort', kill, { once: true });
    child.on('error', (error) => {
      signal.removeEventListener('abort', kill);
      reject(new Error(`alert command could not start: ${error.message}`));
    });
    child.on('close', (code, killedBy) => {
      signal.removeEventListener('abort', kill);
      if (signal.aborted) reject(new Error(`alert command did not finish within ${timeoutMs / 1000} s`));
      else if (code === 0) resolve();
      else {
        const said = lastLine(stderr);
        const how = killedBy ? `was killed by ${killedBy}` : `exited with status ${code}`;
        reject(new Error(`alert command ${how}${said ? `: ${said}` : ''}`));
      }
    });
  });
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  const line = lines[lines.length - 1] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}
