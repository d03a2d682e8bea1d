import { getCookie } from 'hono/cookie';
import type { Context } from 'hono';

/** The dashboard's session cookie: the token itself, HttpOnly and SameSite=Strict, so scripts and other sites never see or send it. */
export const SESSION_COOKIE = 'jm_session';

/** The Set-Cookie value that signs a browser in (until the browser closes or the token expires). */
export function sessionCookie(token: string, options: { path: string; secure: boolean; expiresAt: Date | null }): string {
  const parts = [`${SESSION_COOKIE}=${token}`, `Path=${options.path}`, 'HttpOnly', 'SameSite=Strict'];
  if (options.secure) parts.push('Secure');
  if (options.expiresAt) parts.push(`Expires=${options.expiresAt.toUTCString()}`);
  return parts.join('; ');
}

/** The Set-Cookie value that signs a browser out. */
export function clearedSessionCookie(options: { path: string; secure: boolean }): string {
  return [
    `${SESSION_COOKIE}=`,
    `Path=${options.path}`,
    'HttpOnly',
    'SameSite=Strict',
    'Max-Age=0',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

/** The token in the session cookie, if any. */
export function sessionToken(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE) || undefined;
}
