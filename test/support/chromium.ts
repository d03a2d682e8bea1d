/**
 * The browser for the dashboard tests: Debian's `chromium`, driven through playwright-core
 * (Playwright's own browser download is not reachable from these machines). On a fresh
 * machine the tests install it themselves, so they run everywhere and are never skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.JM_CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Installs Debian's chromium package when it is missing (needs root and apt-get); fails loudly otherwise. */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: install Debian's chromium package (sudo apt-get install -y chromium) or set JM_CHROMIUM_PATH`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`apt-get installed chromium, but ${CHROMIUM_PATH} is still missing`);
  return CHROMIUM_PATH;
}

/** A headless Chromium with a fresh profile that is removed on close; nothing reaches the network but the test server. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const executablePath = ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'jm-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Where the browser tests put their screenshots: docs/screenshots (shown in the README) when
 * UPDATE_SCREENSHOTS=1, else a temporary folder, so a test run leaves the tree as it found it.
 */
export function screenshotsFolder(repoRoot: string): string {
  if (process.env.UPDATE_SCREENSHOTS === '1') return join(repoRoot, 'docs', 'screenshots');
  return mkdtempSync(join(tmpdir(), 'jm-screenshots-'));
}
