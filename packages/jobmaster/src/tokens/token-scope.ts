import { InvalidTokenOptionError } from './token-errors.js';

/**
 * What a token may do: `read` views; `operate` also enqueues, cancels, retries and pauses
 * schedules; `admin` also manages tokens. Each scope includes the ones before it.
 */
export const TOKEN_SCOPES = ['read', 'operate', 'admin'] as const;

/** One of `TOKEN_SCOPES`. */
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** True when a token of scope `held` may do what needs scope `needed`. */
export function scopeAllows(held: TokenScope, needed: TokenScope): boolean {
  return TOKEN_SCOPES.indexOf(held) >= TOKEN_SCOPES.indexOf(needed);
}

/** Checks a scope given as text; an `InvalidTokenOptionError` names the choices otherwise. */
export function parseTokenScope(text: string): TokenScope {
  if ((TOKEN_SCOPES as readonly string[]).includes(text)) return text as TokenScope;
  throw new InvalidTokenOptionError(`Token scope must be one of ${TOKEN_SCOPES.join(', ')}, got ${JSON.stringify(text.slice(0, 40))}`);
}

const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Checks a token name: letters, digits, `_`, `.`, `-`, at most 64, starting with a letter or digit. */
export function validateTokenName(name: string): string {
  if (!TOKEN_NAME.test(name)) {
    throw new InvalidTokenOptionError(
      `Invalid token name ${JSON.stringify(name.slice(0, 80))}: use letters, digits, "_", "." and "-" (at most 64, starting with a letter or digit)`,
    );
  }
  return name;
}

const LIFETIME = /^(\d{1,6})(m|h|d|w)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** A lifetime such as `30d`, `12h`, `90m` or `2w`, in milliseconds. */
export function parseTokenLifetime(text: string): number {
  const match = LIFETIME.exec(text.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : 0;
  if (!match || ms <= 0) {
    throw new InvalidTokenOptionError(
      `Token lifetime must be a number and a unit (m, h, d or w) such as 30d, got ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  return ms;
}
