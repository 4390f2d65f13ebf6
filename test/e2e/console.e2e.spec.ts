import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Page } from 'playwright-core';
import { http } from '../support/http-client';
import { JUNE_CVE } from './console-fleet';
import { SHOTS, browserTests, signedIn as signIn, useConsoleFleet, visit } from './console-browser';

/* Issue 16: the console in a real browser (see console-browser.ts for the browser and the fleet it draws). */
browserTests('the console in a browser: overview, drill-down, CVE, device swimlanes, roles', () => {
  const fleetOf = useConsoleFleet();

  const counts = (page: Page, chart: string) =>
    page.$$eval(`#${chart} [data-key]`, (marks) => Object.fromEntries(marks.map((mark) => [mark.getAttribute('data-key'), Number(mark.getAttribute('data-count'))])));
  const listed = (page: Page) => page.$$eval('#device-list [data-device]', (rows) => rows.map((row) => row.getAttribute('data-device')));

  const signedIn = (key: string) => signIn(fleetOf(), key);

  /** Signs in, lands on the overview, then opens a device's view through the router. */
  async function onDevice(key: string, deviceId: string): Promise<Page> {
    const page = await signedIn(key);
    await page.waitForSelector('#chart-path');
    await visit(page, `#/device/${deviceId}`);
    await page.waitForSelector('#swimlanes');
    return page;
  }
  const lane = (page: Page, name: string) =>
    page.$$eval(`#swimlanes [data-lane="${name}"] [data-label]`, (marks) => marks.map((mark) => mark.getAttribute('data-label')));

  it('signs an operator in and draws the fleet overview with the summary counts, keeping the key out of URLs', async () => {
    const page = await signedIn(fleetOf().stack.keys.operator);
    await page.waitForSelector('#chart-path');
    expect(await page.textContent('#who')).toBe('test-operator (operator)');
    expect(await page.getAttribute('#fleet-total', 'data-count')).toBe('5');
    expect(await counts(page, 'chart-path')).toEqual({ hotpatch: 3, lcu: 1, ineligible: 1, 'unknown-build': 0 });
    expect(await counts(page, 'chart-protection')).toEqual({ 'up-to-date': 0, hotpatched: 1, 'pending-commit': 1 });
    expect(await counts(page, 'chart-attention')).toEqual({ 'pending-restart': 1, overdue: 2, stale: 3, ineligible: 1 });
    // The trend: a point a day for 30 days from GET /v1/fleet/history, the last one today's five devices.
    await page.waitForSelector('#chart-trend svg');
    const trend = await page.$$eval('#chart-trend [data-series="devices"] circle', (points) => points.map((point) => point.getAttribute('data-value')));
    expect(trend.length).toBeGreaterThanOrEqual(30);
    expect(trend.at(-1)).toBe('5');
    await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
    // The key is kept for the tab (sessionStorage), neither in the address nor in storage that outlives the tab.
    expect(page.url()).toBe(`${fleetOf().stack.baseUrl}/console/`);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await page.evaluate('sessionStorage.length')).toBe(1);
    await page.context().close();
  });

  it('drills down from a bar and from the path legend to the devices they count', async () => {
    const page = await signedIn(fleetOf().stack.keys.operator);
    await page.click('#chart-attention [data-key="overdue"]');
    await page.waitForSelector('#device-list [data-device]');
    expect(page.url()).toContain('#/devices?state=overdue');
    expect(await listed(page)).toEqual(['due-lcu', 'no-vbs']);
    await page.goBack();
    await page.click('#chart-path [data-key="lcu"] a');
    // The page's policy forbids eval, so waits are on selectors, not functions.
    await page.locator('h2', { hasText: 'Devices: path lcu' }).waitFor();
    expect(await listed(page)).toEqual(['due-lcu']);
    await page.context().close();
  });

  it('shows the exposure groups of a CVE with their devices and the exposure window', async () => {
    const page = await signedIn(fleetOf().stack.keys.operator);
    await page.waitForSelector('#chart-path');
    await visit(page, `#/cve/${JUNE_CVE}`);
    await page.waitForSelector('#chart-window');
    expect(await counts(page, 'chart-exposure')).toEqual({ protectedOnDisk: 4, protectedInMemoryOnly: 0, exposed: 1, unknownBuild: 0 });
    const groupDevices = (group: string) => page.$$eval(`[data-group="${group}"] tbody a`, (links) => links.map((link) => link.textContent));
    expect(await groupDevices('exposed')).toEqual(['due-lcu']);
    expect((await groupDevices('protectedOnDisk')).sort()).toEqual(['current', 'due-hotpatch', 'no-vbs', 'silent']);
    expect(await page.$$eval('#chart-window [data-series="disk"] circle', (points) => points.length)).toBe(12);
    await page.screenshot({ path: join(SHOTS, 'cve.png'), fullPage: true });
    await page.context().close();
  });

  it('draws both planes of a device as swimlanes: the hotpatch in memory, waiting to be committed to disk', async () => {
    const page = await onDevice(fleetOf().stack.keys.operator, 'due-hotpatch');
    expect(await lane(page, 'memory')).toEqual(['26100.8875', '26100.9106 (KB5120994)']);
    expect(await lane(page, 'disk')).toEqual(['26100.8875 (KB5101650)']);
    expect(await lane(page, 'pending')).toEqual(['commit KB5120994']);
    expect(await page.$$eval('#swimlanes [data-lane="events"] [data-type]', (dots) => dots.map((dot) => dot.getAttribute('data-type')))).toEqual([
      'DeviceRegistered',
      'HotpatchApplied',
    ]);
    expect(await page.getAttribute('#chain', 'data-ok')).toBe('true');
    expect(await page.$$eval('button.command', (buttons) => buttons.map((button) => button.getAttribute('data-command')))).toContain('reboot');
    await page.screenshot({ path: join(SHOTS, 'device.png'), fullPage: true });
    await page.context().close();
  });

  it('moves the as-of slider to show the device as the log said after each of its events', async () => {
    const page = await onDevice(fleetOf().stack.keys.operator, 'due-hotpatch');
    const memory = () => page.$$eval('#as-of-planes tbody tr:first-child td', (cells) => cells.map((cell) => cell.textContent));
    // Stops: after DeviceRegistered, after HotpatchApplied, now. At first: now.
    expect(await page.getAttribute('#as-of-slider', 'max')).toBe('2');
    expect((await memory()).slice(1, 4)).toEqual(['26100.9106', 'KB5120994', 'KB5120994']);
    await page.fill('#as-of-slider', '0');
    await page.waitForSelector('#as-of[data-stop="0"]');
    expect((await memory()).slice(1, 4)).toEqual(['26100.8875', 'KB5101650', '—']);
    expect(await page.textContent('#as-of-waiting')).toBe('Waiting for no reboot.');
    expect(await page.textContent('#as-of-moment')).toContain('after DeviceRegistered');
    // The keyboard moves it too: one step right is after the hotpatch was applied.
    await page.focus('#as-of-slider');
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('#as-of[data-stop="1"]');
    expect((await memory()).slice(1, 4)).toEqual(['26100.9106', 'KB5120994', 'KB5120994']);
    expect(await page.textContent('#as-of-waiting')).toBe('Waiting for a commit of KB5120994.');
    await page.screenshot({ path: join(SHOTS, 'device-as-of.png'), fullPage: true });
    await page.context().close();
  });

  it("draws a release's rollout with the figures of GET /v1/patches/{id}/rollout", async () => {
    const page = await signedIn(fleetOf().stack.keys.auditor);
    await page.waitForSelector('#chart-path');
    await page.click('#nav a[href="#/rollout"]');
    await page.fill('#patch-id', 'KB5120994');
    await page.click('#rollout-form button[type=submit]');
    await page.waitForSelector('#chart-rollout');
    const api = (await http(fleetOf().stack.baseUrl, 'GET', '/v1/patches/KB5120994/rollout', undefined, { authorization: `Bearer ${fleetOf().stack.keys.auditor}` })).body;
    const { appliedInMemory, committedOnDisk, pendingCommit, failed, reverted, concerned, carriedInMemory, carriedOnDisk } = api;
    expect(await counts(page, 'chart-rollout')).toEqual({ appliedInMemory, committedOnDisk, pendingCommit, failed, reverted });
    expect(await counts(page, 'chart-carried')).toEqual({ concerned, carriedInMemory, carriedOnDisk });
    expect(appliedInMemory).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'rollout.png'), fullPage: true });
    await page.context().close();
  });

  it('filters the audit log by actor, type and time, and downloads the selection as the ndjson the API streams', async () => {
    const page = await signedIn(fleetOf().stack.keys.auditor);
    await page.waitForSelector('#chart-path');
    await visit(page, '#/audit?type=HotpatchApplied,UpdateStaged');
    await page.waitForSelector('#audit-list tbody tr');
    expect(await page.$$eval('#audit-list tbody tr', (rows) => rows.map((row) => row.getAttribute('data-type')))).toEqual(['HotpatchApplied', 'UpdateStaged']);
    await page.fill('#audit-actor', 'test-operator');
    await page.fill('#audit-type', 'DeviceRegistered');
    await page.click('#audit-form button[type=submit]');
    await page.locator('#audit-list tbody tr[data-type="DeviceRegistered"]').first().waitFor();
    expect(page.url()).toContain('#/audit?actor=test-operator&type=DeviceRegistered');
    expect(await page.$$('#audit-list tbody tr')).toHaveLength(5);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#audit-download')]);
    expect(download.suggestedFilename()).toBe('audit-events.ndjson');
    const saved = readFileSync((await download.path()) as string, 'utf8');
    const streamed = await fetch(`${fleetOf().stack.baseUrl}/v1/audit/events?actor=test-operator&type=DeviceRegistered`, {
      headers: { authorization: `Bearer ${fleetOf().stack.keys.auditor}`, accept: 'application/x-ndjson' },
    });
    expect(saved).toBe(await streamed.text());
    expect(saved.trim().split('\n')).toHaveLength(5);
    // A range in the future selects nothing.
    await page.fill('#audit-from', '2099-01-01T00:00:00');
    await page.click('#audit-form button[type=submit]');
    await page.waitForSelector('#audit-list:not(:has(tbody tr))');
    await page.screenshot({ path: join(SHOTS, 'audit.png'), fullPage: true });
    await page.context().close();
  });

  it('shows an auditor the same views without command buttons', async () => {
    const page = await onDevice(fleetOf().stack.keys.auditor, 'due-lcu');
    expect(await page.textContent('#who')).toBe('test-auditor (auditor)');
    expect(await lane(page, 'pending')).toEqual(['install KB5129195 (26100.9457)']);
    expect(await page.$$('button.command')).toHaveLength(0);
    expect(await page.$('#commands')).toBeNull();
    await page.context().close();
  });

  it("shows the API's message for a refused key and for a role without queries", async () => {
    const page = await signedIn('psk_notakey_0000');
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toBe('UNAUTHENTICATED: the API key is unknown or revoked');
    expect(await page.isVisible('#nav')).toBe(false);
    await page.fill('#api-key', fleetOf().stack.keys['device-agent']);
    await page.click('#sign-in button[type=submit]');
    await page.locator('#error', { hasText: 'PERMISSION_DENIED' }).waitFor();
    expect(await page.textContent('#error')).toBe('PERMISSION_DENIED: role device-agent may not use queries endpoints');
    await page.context().close();
  });

  it('sends a command from the device view and redraws the planes after it', async () => {
    const page = await onDevice(fleetOf().stack.keys.operator, 'due-lcu');
    await page.click('button[data-command="reboot"]');
    await page.locator('#swimlanes [data-lane="disk"] [data-label="26100.9457 (KB5129195)"]').waitFor();
    expect(await lane(page, 'memory')).toEqual(['26100.8037', '26100.9457 (KB5129195)']);
    expect(await lane(page, 'pending')).toEqual(['install KB5129195 (26100.9457)']);
    await page.context().close();
  });

  it('never put a key in a URL', () => {
    const keys = Object.values(fleetOf().stack.keys);
    expect(fleetOf().requested.length).toBeGreaterThan(10);
    expect(fleetOf().requested.filter((url) => keys.some((key) => url.includes(key)))).toEqual([]);
  });
});
