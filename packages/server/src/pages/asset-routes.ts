import { readFileSync } from 'node:fs';
import type { Hono } from 'hono';
import type { ServerContext, ServerEnv } from '../server-env.js';

/** The dashboard's only script and stylesheet, shipped in the package's assets/ folder and served from memory. */
const ASSETS = {
  'live.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
} as const;

function load(name: string): string {
  return readFileSync(new URL(`../../assets/${name}`, import.meta.url), 'utf8');
}

/** Serves /assets/live.js and /assets/style.css (no sign-in needed: they hold no data). */
export function registerAssetRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  for (const [name, type] of Object.entries(ASSETS)) {
    const text = load(name);
    app.get(`${ctx.basePath}/assets/${name}`, (c) => {
      c.header('Content-Type', type);
      c.header('Cache-Control', 'public, max-age=300');
      return c.body(text);
    });
  }
}
