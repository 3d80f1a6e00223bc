/**
 * Debian's Chromium for the browser tests: one headless browser per test file, started by the
 * first test that opens a page, closed after the file's tests (also when one fails), its profile
 * removed. A machine without Chromium fails the test (CI installs it), it does not skip it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags Chromium dials out, and this machine refuses it.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A page, and its script errors and refused loads (a CSP violation is a console error). */
export interface OpenedPage {
  page: Page;
  problems: string[];
}

/** Registers the file's browser; `openPage()` gives a page of it (the blank one first). */
export function useChromium(): { openPage(): Promise<OpenedPage> } {
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });
  const browser = async (): Promise<BrowserContext> => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) to run the browser tests`);
    if (context) return context;
    profile = mkdtempSync(join(tmpdir(), 'voxstate-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 900 } });
    return context;
  };
  return {
    async openPage() {
      const browsing = await browser();
      const page = browsing.pages().find((open) => open.url() === 'about:blank') ?? (await browsing.newPage());
      // A state the page never shows fails in seconds, naming the condition, not at the test's timeout.
      page.setDefaultTimeout(5_000);
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      return { page, problems };
    },
  };
}
