/** Methods that change state; every other method only reads. */
export function isStateChange(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
}

/**
 * True when a browser request comes from a page of this same origin. Browsers send
 * Sec-Fetch-Site on every request (and Origin on every POST); a request carrying neither is
 * refused, so a cookie can only be used by the dashboard's own pages.
 */
export function isSameOrigin(request: Request): boolean {
  const site = request.headers.get('sec-fetch-site');
  if (site !== null) return site === 'same-origin';
  const origin = request.headers.get('origin');
  if (origin === null) return false;
  return origin === new URL(request.url).origin;
}
