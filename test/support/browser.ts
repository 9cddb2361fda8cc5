import { chromium, type Browser, type Page } from 'playwright-core';

/** The Chromium the e2e tests drive: SWITCHYARD_TEST_CHROMIUM, else /usr/bin/chromium. */
export const CHROMIUM = process.env.SWITCHYARD_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Headless Chromium with the project's flags (no sandbox, no GPU, no background traffic). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

/** Collects the page's uncaught errors and console errors, for a test to assert there are none. */
export function collectPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  return problems;
}
