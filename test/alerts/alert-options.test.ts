// The TypeScript door to alerts: options a worker cannot use are typed errors naming the
// option, an onFailure that is not a function stops the task's registration, and the
// delivery's pacing (retry delays, rate) follows what the options say.
import { ConfigError, InvalidAlertOptionError, TaskRegistrationError, Worker, defineTask, registry } from 'jobmaster';
import { afterEach, expect, test } from 'vitest';
import { alertRetryDelayMs, resolveAlertOptions } from '../../packages/jobmaster/src/alerts/alert-options.js';
import { RateLimiter } from '../../packages/jobmaster/src/alerts/rate-limiter.js';

afterEach(() => registry.clear());

test.each([
  [{ alerts: { webhook: 'not a url' } }, 'alerts.webhook must be an http:// or https:// URL, got "not a url"'],
  [{ alerts: { webhook: 'file:///etc/passwd' } }, 'alerts.webhook must be an http:// or https:// URL, got "file:///etc/passwd"'],
  [{ alerts: { on: 'sometimes' } }, 'alerts.on must be "final" or "attempt", got "sometimes"'],
  [{ alerts: { command: '' } }, 'alerts.command must be a non-empty shell command, got ""'],
  [{ alerts: { timeoutMs: 0 } }, 'alerts.timeoutMs must be a positive number of at most 2147483647, got 0'],
  [{ alerts: { perSecond: Number.NaN } }, 'alerts.perSecond must be a positive number of at most 1000000, got NaN'],
  [{ alerts: { concurrency: 2.5 } }, 'alerts.concurrency must be an integer, got 2.5'],
  [{ onJobFailed: 'page me' }, 'onJobFailed must be a function, got "page me"'],
])('new Worker(%j) throws InvalidAlertOptionError naming the option', (options, message) => {
  const noop = defineTask({ typeKey: 'alert_options' }, function noop() {});
  void noop;
  let error: unknown;
  try {
    new Worker({ ...(options as object), tasks: registry.definitions(), databaseUrl: 'postgres://nobody@127.0.0.1:1/none' });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidAlertOptionError);
  expect((error as Error).message).toBe(message);
  expect((error as InvalidAlertOptionError).code).toBe('JM_INVALID_ALERT_OPTION');
  expect(error).not.toBeInstanceOf(ConfigError);
});

test('a task whose onFailure is not a function is not registered, and the error names the task', () => {
  expect(() => defineTask({ typeKey: 'alert_options', onFailure: 'page me' as never }, function fragile() {})).toThrow(
    new TaskRegistrationError('alert_options.fragile', 'onFailure must be a function, got string'),
  );
  expect(registry.get('alert_options', 'fragile')).toBeUndefined();
});

test('retries of a refused alert wait twice as long each time, up to the longest wait', () => {
  const options = resolveAlertOptions({ retryDelayMs: 1_000, maxRetryDelayMs: 10_000 });
  expect([1, 2, 3, 4, 5, 60].map((n) => alertRetryDelayMs(options, n))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  expect(alertRetryDelayMs(resolveAlertOptions(), 100)).toBe(300_000);
});

test('the rate limiter allows a second’s worth at once, then the rate', () => {
  const limiter = new RateLimiter(10, 0);
  expect(limiter.available(0)).toBe(10);
  limiter.take(10, 0);
  expect(limiter.available(0)).toBe(0);
  expect(limiter.msUntilNext(0)).toBe(100);
  expect(limiter.available(250)).toBe(2);
  expect(limiter.available(10_000)).toBe(10);
  const slow = new RateLimiter(0.5, 0);
  slow.take(1, 0);
  expect(slow.msUntilNext(0)).toBe(2_000);
});
