import { chromium, type Browser } from 'playwright-core';

/** The Chromium the e2e tests drive: SWITCHYARD_TEST_CHROMIUM, else /usr/bin/chromium. */
export const CHROMIUM = process.env.SWITCHYARD_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Headless Chromium with the project's flags (no sandbox, no GPU, no background traffic). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}
