import type { Command } from 'commander';
import { ConfigError, hasActiveApiToken } from 'jobmaster';
import type { CliContext } from '../cli-context.js';
import { execute, withCommonOptions, type CommonOptions } from '../command-runner.js';
import type { Output } from '../output.js';
import { parsePort, parsePositiveInteger } from '../parse.js';
import { processSignals, type StopRequests } from './run.js';

export interface ServeOptions {
  /** (Default: 8080; 0 picks a free port) */
  port: number;
  /** (Default: 127.0.0.1) */
  host: string;
  /** Largest request body in bytes. (Default: 1 MiB) */
  bodyLimit?: number;
}

/** What `jm serve` did, once stopped. */
export interface ServeResult {
  url: string;
  stopped: true;
}

/**
 * `jm serve`: the API under /api/v1, the dashboard at /, queue metrics at /metrics and
 * /healthz, until SIGINT/SIGTERM.
 * Refuses a non-loopback --host while no token exists, since nobody could sign in and the
 * port would be open for nothing (create one with `jm token create`).
 */
export async function serveCommand(
  ctx: CliContext,
  options: ServeOptions,
  onListening: (url: string, hasToken: boolean) => void,
  stops: StopRequests = processSignals,
): Promise<ServeResult> {
  // Loaded here, not with the CLI: every other command would pay for the HTTP stack at start-up.
  const { createHandler, isLoopbackHost, listen } = await import('@jobmaster/server');
  const pool = ctx.pool();
  const hasToken = await hasActiveApiToken(pool, ctx.schema);
  if (!isLoopbackHost(options.host) && !hasToken) {
    throw new ConfigError(
      `Refusing to listen on ${options.host}: no API token exists yet, so nobody could sign in. Create one first (jm token create NAME --scope read), or serve on 127.0.0.1`,
    );
  }
  const handler = createHandler({ pool, schema: ctx.schema, ...(options.bodyLimit !== undefined && { bodyLimit: options.bodyLimit }) });
  const server = await listen(handler, { port: options.port, host: options.host });
  onListening(server.url, hasToken);
  let unlisten = (): void => {};
  await new Promise<void>((resolve) => {
    unlisten = stops.listen(resolve, resolve);
  });
  unlisten();
  await server.close();
  return { url: server.url, stopped: true };
}

export function registerServeCommand(program: Command, out: Output): void {
  withCommonOptions(
    program
      .command('serve')
      .description('serve the HTTP API (/api/v1), the web dashboard (/), Prometheus queue metrics (/metrics) and /healthz')
      .option('--port <port>', 'port to listen on (0 picks a free one)', '8080')
      .option('--host <address>', 'address to listen on; a non-loopback one needs a token to exist', '127.0.0.1')
      .option('--body-limit <bytes>', 'largest request body accepted, in bytes (default: 1048576)'),
  ).action(async (options: CommonOptions & { port: string; host: string; bodyLimit?: string }) => {
    const serveOptions: ServeOptions = {
      port: parsePort(options.port, '--port'),
      host: options.host,
      ...(options.bodyLimit !== undefined && { bodyLimit: parsePositiveInteger(options.bodyLimit, '--body-limit') }),
    };
    await execute(
      options,
      out,
      (ctx) =>
        serveCommand(ctx, serveOptions, (url, hasToken) => {
          out.error(
            `jm serve: dashboard at ${url}/, API at ${url}/api/v1 (OpenAPI: ${url}/api/v1/openapi.json), health at ${url}/healthz, Prometheus metrics at ${url}/metrics`,
          );
          if (!hasToken) out.error('jm serve: no API token exists yet: create one to sign in (jm token create NAME --scope admin)');
        }),
      (o) => o.error('jm serve: stopped.'),
    );
  });
}
