// What pg reports when the other end of a connection goes away under a query: the socket
// ends ("Connection terminated unexpectedly"), is reset, or a write finds it closed.
const LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
const LOST_MESSAGES = [/^Connection terminated/, /connection error and is not queryable/];

/**
 * True when `error` is a connection lost under a running statement. On the embedded database
 * that means its serving process stopped: the server itself never drops a busy connection.
 */
export function isServerLoss(error: unknown): boolean {
  const err = error as { code?: unknown; message?: unknown } | undefined;
  if (typeof err?.code === 'string' && LOST_CODES.has(err.code)) return true;
  return typeof err?.message === 'string' && LOST_MESSAGES.some((pattern) => pattern.test(err.message as string));
}
