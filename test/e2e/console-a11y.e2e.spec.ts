import { join } from 'node:path';
import { Page } from 'playwright-core';
import { JUNE_CVE } from './console-fleet';
import { SHOTS, browserTests, signedIn, useConsoleFleet, visit } from './console-browser';

/*
 * Issue 16 item 6: every view of the console passes axe-core with no serious or critical finding, and stays
 * readable at 1280x800 and at phone width (390 px): nothing wider than the screen but what scrolls in its own box.
 * Screenshots of each view at each width go to SHOTS for a person to look at.
 */
const AXE = require.resolve('axe-core/axe.min.js');
const WIDTHS = [
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 390, height: 844 } },
];
/** Each view: the route and a selector that is there only once that view is drawn. */
const VIEWS: [string, string, string][] = [
  ['overview', '#/overview', '#chart-trend svg'],
  ['devices', '#/devices?state=overdue', '#device-list [data-device]'],
  ['cve', `#/cve/${JUNE_CVE}`, '#chart-window'],
  ['device', '#/device/due-hotpatch', '#swimlanes'],
  ['rollout', '#/rollout/KB5120994', '#chart-rollout'],
  ['audit', '#/audit', '#audit-list tbody tr'],
];

interface Finding {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** axe's findings that matter here: serious and critical ones, with the elements they are about. */
async function seriousFindings(page: Page): Promise<Finding[]> {
  await page.addScriptTag({ path: AXE });
  // A string: the test's Node types have no `axe` or DOM, and the page runs it as it would its own code.
  const violations = (await page.evaluate(`axe.run(document).then((result) => result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((node) => node.target.join(' ')),
  })))`)) as Finding[];
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

/** How far the page is wider than the window: 0 when nothing forces sideways scrolling of the whole page. */
const overflow = (page: Page) => page.evaluate('document.documentElement.scrollWidth - window.innerWidth') as Promise<number>;

browserTests('the console is accessible (axe-core) and readable at desktop and phone width', () => {
  const fleetOf = useConsoleFleet();

  describe.each(WIDTHS)('at $name width', ({ name, viewport }) => {
    // bypassCSP: addScriptTag puts axe's source inline, which the console's policy (script-src 'self') refuses.
    // It changes nothing the console's own code does; the policy itself is tested by the other browser tests.
    const open = () => signedIn(fleetOf(), fleetOf().stack.keys.operator, { viewport, bypassCSP: true });

    it('the sign-in form', async () => {
      const page = await (await fleetOf().browser.newContext({ viewport, bypassCSP: true })).newPage();
      await page.goto(`${fleetOf().stack.baseUrl}/console/`);
      await page.waitForSelector('#sign-in:not([hidden])');
      expect(await seriousFindings(page)).toEqual([]);
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(SHOTS, `${name}-sign-in.png`), fullPage: true });
      await page.context().close();
    });

    it.each(VIEWS)('the %s view', async (view, hash, drawn) => {
      const page = await open();
      await page.waitForSelector('#chart-path');
      await visit(page, hash);
      await page.waitForSelector(drawn);
      expect(await seriousFindings(page)).toEqual([]);
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(SHOTS, `${name}-${view}.png`), fullPage: true });
      await page.context().close();
    });
  });
});
