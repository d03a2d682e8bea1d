import type { Command } from 'commander';
import { createApiToken, listApiTokens, parseTokenScope, revokeApiToken, type ApiTokenInfo, type CreatedApiToken } from 'jobmaster';
import type { CliContext } from '../cli-context.js';
import { execute, withCommonOptions, type CommonOptions } from '../command-runner.js';
import { formatTable, type Output } from '../output.js';
import { parseDuration } from '../parse.js';
import { formatTime } from '../status-view/format-time.js';

export interface TokenCreateOptions {
  name: string;
  scope: string;
  /** A duration such as 30d. (Default: never expires) */
  expires?: string;
}

/** `jm token create NAME --scope read|operate|admin [--expires 30d]`: the token is in the result, shown this once. */
export async function tokenCreateCommand(ctx: CliContext, options: TokenCreateOptions): Promise<CreatedApiToken> {
  const scope = parseTokenScope(options.scope);
  const expiresInMs = options.expires === undefined ? undefined : parseDuration(options.expires, '--expires');
  return await createApiToken(ctx.pool(), ctx.schema, { name: options.name, scope, ...(expiresInMs !== undefined && { expiresInMs }) });
}

/** `jm token list`. */
export async function tokenListCommand(ctx: CliContext): Promise<ApiTokenInfo[]> {
  return await listApiTokens(ctx.pool(), ctx.schema);
}

/** `jm token revoke NAME`. */
export async function tokenRevokeCommand(ctx: CliContext, name: string): Promise<ApiTokenInfo> {
  return await revokeApiToken(ctx.pool(), ctx.schema, name);
}

function state(t: ApiTokenInfo, now = Date.now()): string {
  if (t.revokedAt) return 'revoked';
  if (t.expiresAt && t.expiresAt.getTime() <= now) return 'expired';
  return 'active';
}

export function printTokenCreated(out: Output, t: CreatedApiToken): void {
  out.write(t.token);
  out.error(
    `Token ${t.name} (scope ${t.scope}${t.expiresAt ? `, expires ${formatTime(t.expiresAt)}` : ', never expires'}) created. ` +
      'It is shown this once: only its hash is stored. Send it as "Authorization: Bearer TOKEN" or sign in to the dashboard with it.',
  );
}

export function printTokenList(out: Output, tokens: ApiTokenInfo[]): void {
  if (tokens.length === 0) {
    out.write('No tokens (create one with "jm token create NAME --scope read|operate|admin").');
    return;
  }
  const rows = tokens.map((t) => [
    t.name,
    t.scope,
    state(t),
    formatTime(t.createdAt),
    t.expiresAt ? formatTime(t.expiresAt) : 'never',
    t.lastUsedAt ? formatTime(t.lastUsedAt) : '–',
  ]);
  out.write(formatTable(['name', 'scope', 'state', 'created', 'expires', 'last used'], rows));
}

export function registerTokenCommand(program: Command, out: Output): void {
  const token = program.command('token').description('create, list and revoke API tokens for jm serve');

  withCommonOptions(
    token
      .command('create')
      .description('create a token and print it (once: only its hash is stored)')
      .argument('<name>', 'a unique name, recorded in the history of jobs it acts on')
      .requiredOption(
        '--scope <scope>',
        'read (views), operate (also enqueues, cancels, retries, pauses schedules) or admin (also manages tokens)',
      )
      .option('--expires <duration>', 'lifetime such as 30d or 12h (default: never expires)'),
  ).action(async (name: string, options: CommonOptions & { scope: string; expires?: string }) => {
    await execute(
      options,
      out,
      (ctx) => tokenCreateCommand(ctx, { name, scope: options.scope, ...(options.expires !== undefined && { expires: options.expires }) }),
      printTokenCreated,
    );
  });

  withCommonOptions(token.command('list').description('list tokens with their scope and state (never the tokens)')).action(
    async (options: CommonOptions) => {
      await execute(options, out, tokenListCommand, printTokenList);
    },
  );

  withCommonOptions(token.command('revoke').description('revoke a token at once').argument('<name>', 'the token name')).action(
    async (name: string, options: CommonOptions) => {
      await execute(
        options,
        out,
        (ctx) => tokenRevokeCommand(ctx, name),
        (o, t) => o.write(`Token ${t.name} revoked (${formatTime(t.revokedAt)}).`),
      );
    },
  );
}
