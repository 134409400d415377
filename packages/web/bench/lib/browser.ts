import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium, headless, with the flags this machine's closed network needs.
 * Playwright gives every launch a fresh, empty profile of its own (it refuses --user-data-dir).
 */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
  return { browser, close: () => browser.close() };
}
