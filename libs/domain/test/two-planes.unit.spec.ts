import { DeviceView, describeDevice, diskBaselineBuild, pendingCommit, planeBuild, planeCves } from '@patchstate/domain';
import {
  APRIL_2025_BASELINE,
  FEBRUARY_2025_CVES,
  FEBRUARY_2025_HOTPATCH,
  JANUARY_2025_BASELINE,
  JANUARY_2025_CVES,
  MARCH_2025_HOTPATCH,
  MAY_2025_CVES,
  MAY_2025_HOTPATCH,
  SEPTEMBER_2025_CUMULATIVE,
  SEPTEMBER_2025_HOTPATCH,
  aDeviceHistory,
} from '../../../test/builders';
import { catalogOf, judgedAt, registeredStateAfter } from './given.helper.spec';

/** The releases of this story: the January baseline, its two hotpatches, the April baseline and its May hotpatch. */
const CATALOG = catalogOf(JANUARY_2025_BASELINE, FEBRUARY_2025_HOTPATCH, MARCH_2025_HOTPATCH, APRIL_2025_BASELINE, MAY_2025_HOTPATCH);

/** Both planes of the device after `history`, as operators see them through the catalog. */
function view(history: ReturnType<typeof aDeviceHistory>): DeviceView {
  const state = registeredStateAfter(history.events);
  // Judged when the device was last heard from: these tests are about the planes, not freshness.
  return describeDevice(state, CATALOG, judgedAt(state.lastSeenAt!));
}

const sorted = (...lists: string[][]) => lists.flat().sort();

describe('the memory and disk planes through apply, reboot, staged baseline, reboot, revert', () => {
  // Each step starts a fresh history from the previous step's recipe, so every test stands alone.
  const registered = () => aDeviceHistory().registered();
  const applied = () => registered().applied(FEBRUARY_2025_HOTPATCH);
  const committed = () => applied().rebooted();
  const stagedApril = () => committed().staged(APRIL_2025_BASELINE);
  const onApril = () => stagedApril().rebooted();
  const revertedMay = () => onApril().applied(MAY_2025_HOTPATCH).rebooted().reverted(MAY_2025_HOTPATCH);
  const cleanedUp = () => revertedMay().rebooted();
  const january = { build: '26100.2894', baselineBuild: '26100.2894', release: 'KB5050009', baselineKb: 'KB5050009', hotpatches: [], cves: sorted(JANUARY_2025_CVES) };
  const february = { build: '26100.3032', baselineBuild: '26100.2894', release: 'KB5052093', baselineKb: 'KB5050009', hotpatches: ['KB5052093'] };
  // The April baseline is cumulative: it carries January to March as well as its own fixes.
  const april = { build: '26100.3775', baselineBuild: '26100.3775', release: 'KB5055523', baselineKb: 'KB5055523', hotpatches: [], cves: sorted(APRIL_2025_BASELINE.cves) };

  it('starts with both planes on the registered baseline, protected by what that baseline fixes, and nothing pending', () => {
    const v = view(registered());
    expect(v.memory).toEqual(january);
    expect(v.disk).toEqual(v.memory);
    expect(v).toMatchObject({ pendingCommit: [], pendingRestart: null, pendingRemoval: [], retired: false });
    // Judged for the newest hotpatch the catalog offers on its baseline.
    expect(v.eligibility).toEqual({ eligible: true, reasons: [], patchId: 'KB5053636' });
  });

  it('1. apply: memory runs the hotpatch build, with its baseline\'s fixes and its own; disk lags until a reboot', () => {
    const v = view(applied());
    expect(v.memory).toEqual({ ...february, cves: sorted(JANUARY_2025_CVES, FEBRUARY_2025_CVES) });
    expect(v.disk).toEqual(january);
    expect(v.pendingCommit).toEqual(['KB5052093']);
    expect(v.pendingRestart).toBeNull();
    const state = registeredStateAfter(applied().events);
    expect(planeBuild(state.memory)).toBe('26100.3032');
    expect(planeBuild(state.disk)).toBe('26100.2894');
    expect(pendingCommit(state)).toEqual(['KB5052093']);
  });

  it('2. reboot: the hotpatch is written to disk and the planes agree', () => {
    const v = view(committed());
    expect(v.disk).toEqual(v.memory);
    expect(v.disk).toEqual({ ...february, cves: sorted(JANUARY_2025_CVES, FEBRUARY_2025_CVES) });
    expect(v.pendingCommit).toEqual([]);
  });

  it('3. stage the April baseline: disk is ahead of memory, a restart is pending, hotpatches are refused', () => {
    const v = view(stagedApril());
    expect(v.pendingRestart).toEqual({ patchId: 'KB5055523', build: '26100.3775', stagedAt: expect.any(String) });
    expect(v.memory.build).toBe('26100.3032');
    expect(diskBaselineBuild(registeredStateAfter(stagedApril().events))).toBe('26100.3775');
    expect(v.eligibility).toEqual({ eligible: false, reasons: ['BASELINE_MISMATCH'], patchId: 'KB5053636' });
  });

  it('4. reboot: the April baseline runs on both planes and supersedes the February hotpatch', () => {
    const v = view(onApril());
    expect(v.memory).toEqual(april);
    expect(v.disk).toEqual(april);
    expect(v.profile.build).toBe('26100.3775');
    expect(v).toMatchObject({ pendingCommit: [], pendingRestart: null });
    expect(v.eligibility).toEqual({ eligible: true, reasons: [], patchId: 'KB5058497' });
  });

  it('5. apply a hotpatch of the new baseline, reboot, then revert: it keeps running and stays on disk until the next reboot (Windows)', () => {
    const v = view(revertedMay());
    // Both planes still run it, so both stay protected by it until the reboot removes it.
    expect(v.memory).toEqual(v.disk);
    expect(v.disk).toEqual({
      build: '26100.4052',
      baselineBuild: '26100.3775',
      release: 'KB5058497',
      baselineKb: 'KB5055523',
      hotpatches: ['KB5058497'],
      cves: sorted(APRIL_2025_BASELINE.cves, MAY_2025_CVES),
    });
    expect(v.pendingRemoval).toEqual(['KB5058497']);
    expect(v.pendingCommit).toEqual([]);
  });

  it('6. reboot: the reverted hotpatch leaves the disk and the planes agree again', () => {
    const v = view(cleanedUp());
    expect(v.memory).toEqual(v.disk);
    expect(v.disk).toEqual(april);
    expect(v.pendingRemoval).toEqual([]);
  });
});

describe('protection is judged by CVEs, not by build number', () => {
  it('a September 2025 hotpatch (26100.6508) carries the same fixes as the higher cumulative (26100.6584)', () => {
    const hotpatched = registeredStateAfter(aDeviceHistory('ws-hot').registered({ build: '26100.4652' }).applied(SEPTEMBER_2025_HOTPATCH).events);
    const updated = registeredStateAfter(aDeviceHistory('ws-cu').registered({ build: '26100.4652' }).staged(SEPTEMBER_2025_CUMULATIVE).rebooted().events);
    expect(planeBuild(hotpatched.memory)).toBe('26100.6508');
    expect(planeBuild(updated.memory)).toBe('26100.6584');
    expect(planeCves(hotpatched.memory)).toEqual(expect.arrayContaining(SEPTEMBER_2025_CUMULATIVE.cves));
    expect(planeCves(updated.memory)).toEqual(expect.arrayContaining(SEPTEMBER_2025_HOTPATCH.cves));
    // In memory only, until the hotpatched device reboots.
    expect(planeCves(hotpatched.disk)).toEqual([]);
  });

  it('a plane build is the highest build on it, compared numerically', () => {
    const plane = {
      baselineBuild: '26100.9999',
      baselinePatchId: null,
      baselineCves: [],
      hotpatches: [{ patchId: 'KB5099999', build: '26100.10000', baselineBuild: '26100.9999', cves: [], appliedAt: '2025-01-01T00:00:00Z' }],
    };
    expect(planeBuild(plane)).toBe('26100.10000');
  });
});
