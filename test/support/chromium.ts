/**
 * Debian's Chromium for browser tests (Playwright drives it; no browser download). Found at
 * CHROMIUM_PATH when set (only that), else `chromium` on PATH. In CI a missing Chromium is an error
 * (`.ci/run` installs the package); elsewhere the browser test is skipped and says why.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import type { TestContext } from 'vitest';

function findChromium(): string | undefined {
  const candidates = process.env.CHROMIUM_PATH
    ? [process.env.CHROMIUM_PATH]
    : (process.env.PATH ?? '').split(delimiter).flatMap((d) => (d ? [join(d, 'chromium')] : []));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

const NO_CHROMIUM =
  "Chromium not found on PATH (or CHROMIUM_PATH): install Debian's package (sudo apt-get install chromium) to run the browser tests; CI installs it and fails without it";

/** The Chromium to test with, or undefined to skip (outside CI). Throws in CI when there is none. */
function chromiumOrSkip(): string | undefined {
  const path = findChromium();
  if (!path && process.env.CI === 'true') {
    throw new Error(
      'Chromium not found on PATH (or CHROMIUM_PATH): CI must install the Debian package "chromium" (apt-get install -y chromium)',
    );
  }
  return path;
}

function chromiumVersion(executablePath: string): string {
  return execFileSync(executablePath, ['--version']).toString().trim();
}

/** A headless Chromium with a throw-away profile; `close()` removes the profile too. */
async function launchChromium(
  executablePath: string,
): Promise<{ browser: BrowserContext; close: () => Promise<void> }> {
  const profileDir = mkdtempSync(join(tmpdir(), 'chipid-chromium-'));
  const browser = await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/** The test's Chromium, launched and named in the test's annotations — or the test skipped (outside CI). */
export async function chromiumForTest(
  ctx: TestContext,
): Promise<{ browser: BrowserContext; close: () => Promise<void> }> {
  const executablePath = chromiumOrSkip();
  if (!executablePath) {
    // Said out loud, here and in the run's closing summary (test/reporters/summary.ts): a skipped
    // browser test must never pass for a green one.
    process.stderr.write(`[chipid] SKIPPED (browser test): ${NO_CHROMIUM}\n`);
    ctx.skip(NO_CHROMIUM);
  }
  ctx.annotate(`chromium: ${chromiumVersion(executablePath)}`);
  return launchChromium(executablePath);
}
