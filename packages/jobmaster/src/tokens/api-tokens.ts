import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/queryable.js';
import { translateDatabaseError } from '../db/database-errors.js';
import { quoteSchema } from '../db/schema-name.js';
import { InvalidTokenOptionError, TokenExistsError, TokenNotFoundError } from './token-errors.js';
import { parseTokenScope, validateTokenName, type TokenScope } from './token-scope.js';

/** A token as listed: never the token itself, which is printed once at creation. */
export interface ApiTokenInfo {
  name: string;
  scope: TokenScope;
  createdAt: Date;
  /** Null when it never expires. */
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** Approximate: recorded at most once a minute. */
  lastUsedAt: Date | null;
}

/** A new token: `token` is the secret to hand to the client, shown this once. */
export interface CreatedApiToken extends ApiTokenInfo {
  token: string;
}

/** What to create. */
export interface NewApiToken {
  name: string;
  scope: TokenScope;
  /** Lifetime in milliseconds. (Default: never expires) */
  expiresInMs?: number;
}

/** The result of checking a presented token. */
export type TokenCheck =
  { valid: true; name: string; scope: TokenScope; expiresAt: Date | null } | { valid: false; reason: 'unknown' | 'expired' | 'revoked' };

const TOKEN_PREFIX = 'jm_';

/** The SHA-256 of a token: what the database keeps. */
export function hashApiToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

interface TokenRow {
  name: string;
  scope: TokenScope;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const COLUMNS = 'name, scope, created_at, expires_at, revoked_at, last_used_at';

function toInfo(r: TokenRow): ApiTokenInfo {
  return {
    name: r.name,
    scope: r.scope,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}

/**
 * Creates a token: 32 random bytes, base64url, prefixed `jm_`; only its SHA-256 is stored.
 * A name in use (even by a revoked token) is a `TokenExistsError`.
 */
export async function createApiToken(db: Queryable, schema: string, input: NewApiToken): Promise<CreatedApiToken> {
  const name = validateTokenName(input.name);
  const scope = parseTokenScope(input.scope);
  if (input.expiresInMs !== undefined && !(Number.isSafeInteger(input.expiresInMs) && input.expiresInMs > 0)) {
    throw new InvalidTokenOptionError('expiresInMs must be a positive whole number of milliseconds');
  }
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  try {
    const { rows } = await db.query<TokenRow>(
      `insert into ${quoteSchema(schema)}.api_tokens (name, scope, token_hash, expires_at)
       values ($1, $2, $3, now() + $4::bigint * interval '1 millisecond')
       on conflict (name) do nothing
       returning ${COLUMNS}`,
      [name, scope, hashApiToken(token), input.expiresInMs ?? null],
    );
    if (rows.length === 0) throw new TokenExistsError(name);
    return { ...toInfo(rows[0]!), token };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}

/** Every token, oldest first, with its state. */
export async function listApiTokens(db: Queryable, schema: string): Promise<ApiTokenInfo[]> {
  try {
    const { rows } = await db.query<TokenRow>(`select ${COLUMNS} from ${quoteSchema(schema)}.api_tokens order by created_at, name`);
    return rows.map(toInfo);
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}

/** Revokes a token by name (at once, for every server); revoking twice keeps the first time. */
export async function revokeApiToken(db: Queryable, schema: string, name: string): Promise<ApiTokenInfo> {
  validateTokenName(name);
  try {
    const { rows } = await db.query<TokenRow>(
      `update ${quoteSchema(schema)}.api_tokens set revoked_at = coalesce(revoked_at, now()) where name = $1 returning ${COLUMNS}`,
      [name],
    );
    if (rows.length === 0) throw new TokenNotFoundError(name);
    return toInfo(rows[0]!);
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}

/** True when at least one token is neither revoked nor expired. */
export async function hasActiveApiToken(db: Queryable, schema: string): Promise<boolean> {
  try {
    const { rows } = await db.query<{ active: boolean }>(
      `select exists (select 1 from ${quoteSchema(schema)}.api_tokens
                       where revoked_at is null and (expires_at is null or expires_at > now())) as active`,
    );
    return rows[0]!.active;
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}

/**
 * Checks a presented token against the stored hashes and notes its use (at most once a
 * minute, so a busy client does not write on every request).
 */
export async function verifyApiToken(db: Queryable, schema: string, token: string): Promise<TokenCheck> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return { valid: false, reason: 'unknown' };
  try {
    const { rows } = await db.query<{ name: string; scope: TokenScope; expires_at: Date | null; expired: boolean; revoked: boolean }>(
      `with found as (
         select name, scope, expires_at, expires_at is not null and expires_at <= now() as expired, revoked_at is not null as revoked
           from ${quoteSchema(schema)}.api_tokens where token_hash = $1
       ), used as (
         update ${quoteSchema(schema)}.api_tokens t set last_used_at = now()
           from found f
          where t.name = f.name and not f.expired and not f.revoked
            and (t.last_used_at is null or t.last_used_at < now() - interval '1 minute')
       )
       select name, scope, expires_at, expired, revoked from found`,
      [hashApiToken(token)],
    );
    const row = rows[0];
    if (!row) return { valid: false, reason: 'unknown' };
    if (row.revoked) return { valid: false, reason: 'revoked' };
    if (row.expired) return { valid: false, reason: 'expired' };
    return { valid: true, name: row.name, scope: row.scope, expiresAt: row.expires_at };
  } catch (error) {
    throw translateDatabaseError(error, { schema });
  }
}
