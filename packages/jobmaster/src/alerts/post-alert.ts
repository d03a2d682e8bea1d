import http from 'node:http';
import https from 'node:https';
import type { FailureAlert } from './failure-alert.js';

/**
 * POSTs one alert as JSON and resolves on a 2xx answer; rejects with a one-line reason
 * otherwise (refused connection, HTTP status, no answer in time). node:http rather than
 * fetch: no keep-alive socket outlives the delivery (a drain's process exits at once), and
 * nothing is loaded until the first alert.
 */
export function postAlert(url: URL, alert: FailureAlert, signal: AbortSignal, timeoutMs: number): Promise<void> {
  const body = JSON.stringify(alert);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<void>((resolve, reject) => {
    const request = transport.request(
      url,
      {
        method: 'POST',
        agent: false,
        signal,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'jobmaster-alerts',
          // The same on every attempt of one alert, so a receiver can drop a repeat.
          'idempotency-key': `${alert.schema}:${alert.alertId}`,
        },
      },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        response.on('end', () => {
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`webhook answered HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`));
        });
        response.on('error', (error) => reject(describe(error, signal, timeoutMs)));
      },
    );
    request.on('error', (error) => reject(describe(error, signal, timeoutMs)));
    request.end(body);
  });
}

function describe(error: Error, signal: AbortSignal, timeoutMs: number): Error {
  if (signal.aborted) return new Error(`webhook gave no answer within ${timeoutMs / 1000} s`);
  return new Error(`webhook: ${error.message}`);
}
