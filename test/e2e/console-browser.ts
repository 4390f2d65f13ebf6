import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContextOptions, Page, chromium } from 'playwright-core';
import { http } from '../support/http-client';
import { TestStack, startTestStack } from '../support/test-stack';
import { releasesText } from './servicing-fleet';
import { CONSOLE_FLEET, ago } from './console-fleet';

/*
 * What the console's browser tests share: Debian's chromium driven by playwright-core (Playwright's own browser
 * download cannot work here), the small fleet they draw, and where screenshots go. Skipped, saying so, only where
 * chromium is absent outside CI; .ci/run installs it and sets CI, so there a missing browser fails the launch.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
export const browserTests = CHROMIUM !== undefined || process.env.CI ? describe : describe.skip;
if (!CHROMIUM && !process.env.CI) console.warn('console browser tests: skipped, no chromium (apt-get install chromium, or set CHROMIUM_PATH)');
/** Screenshots for a person to look at: test-output/ in the repository (git ignores it) unless told otherwise. */
export const SHOTS = process.env.CONSOLE_SCREENSHOTS ?? join(__dirname, '../../test-output/console');

export interface ConsoleFleet {
  stack: TestStack;
  browser: Browser;
  /** Every URL a tab of signedIn() asked for, from its first request on: a key must never be in one. */
  requested: string[];
}

/** The API with the console fleet in its read models, and a browser to look at it with. */
export async function consoleFleet(): Promise<ConsoleFleet> {
  const stack = await startTestStack();
  let position = '0';
  const post = async (path: string, body: unknown) => {
    const result = await http(stack.baseUrl, 'POST', path, body, { authorization: `Bearer ${stack.keys.operator}` });
    expect({ path, status: result.status }).toEqual({ path, status: 201 });
    position = result.headers.get('x-position') ?? position;
  };
  await post('/v1/catalog/imports', { format: 'json', content: releasesText() });
  for (const device of CONSOLE_FLEET) await post('/v1/devices', { ...device, hostname: `${device.deviceId}.corp.example` });
  await post('/v1/devices/due-hotpatch/hotpatches', { patchId: 'KB5120994', appliedAt: ago(2) });
  await post('/v1/devices/due-lcu/updates', { patchId: 'KB5129195', stagedAt: ago(1) });
  // The browser reads without minPosition: wait here until the read models have every command above.
  expect((await http(stack.baseUrl, 'GET', `/v1/fleet/summary?minPosition=${position}`)).status).toBe(200);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  mkdirSync(SHOTS, { recursive: true });
  return { stack, browser, requested: [] };
}

/** A fresh tab (1280x800 unless told) on the console, signed in with the key. */
export async function signedIn(fleet: ConsoleFleet, key: string, options: BrowserContextOptions = {}): Promise<Page> {
  const page = await (await fleet.browser.newContext({ viewport: { width: 1280, height: 800 }, ...options })).newPage();
  page.on('request', (request) => fleet.requested.push(request.url()));
  await page.goto(`${fleet.stack.baseUrl}/console/`);
  await page.fill('#api-key', key);
  await page.click('#sign-in button[type=submit]');
  return page;
}

// In the page's own scope (a string, so the test's Node types need no DOM): the router redraws on hashchange.
export const visit = (page: Page, hash: string) => page.evaluate(`location.hash = ${JSON.stringify(hash)}`);

/** Registers the suite's setup and teardown: the fleet is started once per file, read through the getter. */
export function useConsoleFleet(): () => ConsoleFleet {
  let fleet: ConsoleFleet | undefined;
  beforeAll(async () => {
    fleet = await consoleFleet();
  }, 120_000);
  afterAll(async () => {
    await fleet?.browser.close();
    await fleet?.stack.close();
  });
  return () => fleet as ConsoleFleet;
}
