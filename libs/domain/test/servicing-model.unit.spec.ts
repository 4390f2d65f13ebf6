import { applyHotpatch } from '../../../test/builders';
import { given } from './given.helper.spec';
import { aRealDevice, realCatalog, realPatchState } from './real-releases.helper.spec';

/*
 * Windows servicing as it really ran, with the releases of ../shared/data/windows-releases.json: each test
 * judges devices against the catalog as it stood at the date of the story (a catalog knows no future release).
 */

describe('mid-quarter onboarding: a device first seen on a hotpatch build', () => {
  // 26100.3107 is the February 2025 hotpatch KB5052105, on the January baseline KB5050009 (26100.2894).
  const catalog = realCatalog({ asOf: '2025-03-12' });
  const onboarded = () => aRealDevice('ws-feb', catalog).registered({ build: '26100.3107' }, '2025-02-20T08:00:00Z');

  it('resolves to the hotpatch it runs, on that hotpatch\'s baseline, and is on the hotpatch path', () => {
    const servicing = onboarded().servicing(realCatalog({ asOf: '2025-02-20' }));
    expect(servicing).toMatchObject({ path: 'hotpatch', reasons: [], release: { patchId: 'KB5052105', kind: 'hotpatch' }, baselineKb: 'KB5050009' });
    expect(servicing).toMatchObject({ offered: { patchId: 'KB5052105', build: '26100.3107' }, upToDate: true });
    const view = onboarded().view(onboarded().state.lastSeenAt!, catalog);
    expect(view.memory).toMatchObject({ build: '26100.3107', baselineBuild: '26100.2894', release: 'KB5052105', baselineKb: 'KB5050009' });
  });

  it('takes the March hotpatch KB5053636 on the same baseline: HotpatchApplied, not BASELINE_MISMATCH', () => {
    given(onboarded().events)
      .when(applyHotpatch('KB5053636', { deviceId: 'ws-feb', at: '2025-03-12T09:00:00Z' }), realPatchState('KB5053636'), catalog)
      .then([
        {
          type: 'HotpatchApplied',
          data: { deviceId: 'ws-feb', patchId: 'KB5053636', build: '26100.3403', baselineBuild: '26100.2894', cves: [], appliedAt: '2025-03-12T09:00:00Z' },
        },
      ]);
  });

  it('is offered March once the catalog has it, and runs it in memory before the reboot writes it to disk', () => {
    expect(onboarded().servicing()).toMatchObject({ path: 'hotpatch', offered: { patchId: 'KB5053636' }, upToDate: false });
    const applied = onboarded().applied('KB5053636', '2025-03-12T09:00:00Z');
    expect(applied.servicing()).toMatchObject({ release: { patchId: 'KB5053636' }, upToDate: false });
    expect(applied.rebooted('2025-03-13T07:00:00Z').servicing()).toMatchObject({ path: 'hotpatch', release: { patchId: 'KB5053636' }, upToDate: true });
  });
});

describe('one KB, two OS versions: KB5072014 is 26100.7392 on 24H2 and 26200.7392 on 25H2', () => {
  const catalog = realCatalog({ asOf: '2025-12-10' });
  const on24H2 = () => aRealDevice('ws-24h2', catalog).registered({ build: '26100.6899' }, '2025-10-20T08:00:00Z');
  const on25H2 = () => aRealDevice('ws-25h2', catalog).registered({ build: '26200.6899' }, '2025-10-20T08:00:00Z');

  it('resolves both builds to the same release on the same baseline', () => {
    for (const build of ['26100.7392', '26200.7392']) {
      const resolved = catalog.resolve('windows-11', build);
      expect(resolved).toMatchObject({ release: { patchId: 'KB5072014' }, baseline: { patchId: 'KB5066835' } });
    }
    expect(catalog.resolve('windows-11', '26100.7392')!.baselineBuild).toBe('26100.6899');
    expect(catalog.resolve('windows-11', '26200.7392')!.baselineBuild).toBe('26200.6899');
  });

  it('records each device\'s own build and baseline build when it applies the KB', () => {
    const at = '2025-12-10T09:00:00Z';
    const [on24] = given(on24H2().events).when(applyHotpatch('KB5072014', { deviceId: 'ws-24h2', at }), realPatchState('KB5072014'), catalog).events();
    const [on25] = given(on25H2().events).when(applyHotpatch('KB5072014', { deviceId: 'ws-25h2', at }), realPatchState('KB5072014'), catalog).events();
    expect(on24).toMatchObject({ type: 'HotpatchApplied', data: { build: '26100.7392', baselineBuild: '26100.6899' } });
    expect(on25).toMatchObject({ type: 'HotpatchApplied', data: { build: '26200.7392', baselineBuild: '26200.6899' } });
  });

  it('puts both on the hotpatch path, offered the KB at their own build', () => {
    expect(on24H2().servicing()).toMatchObject({ path: 'hotpatch', offered: { patchId: 'KB5072014', build: '26100.7392' } });
    expect(on25H2().servicing()).toMatchObject({ path: 'hotpatch', offered: { patchId: 'KB5072014', build: '26200.7392' } });
  });
});

describe('baseline -> hotpatch -> hotpatch -> baseline: protection is cumulative', () => {
  // January 2026 baseline KB5074109 (CVE-2026-20805), February and March hotpatches, the April baseline.
  const device = () => aRealDevice('ws-2026').registered({ build: '26100.7623' }, '2026-01-20T08:00:00Z');
  const protection = (d: ReturnType<typeof device>) => d.view(d.state.lastSeenAt!, realCatalog()).memory.cves;
  const EARLIER = ['CVE-2025-21333', 'CVE-2025-29824', 'CVE-2025-59230', 'CVE-2025-62221'];

  it('on the baseline: its own fix and every earlier baseline\'s and LCU\'s', () => {
    expect(protection(device())).toEqual(expect.arrayContaining(['CVE-2026-20805', ...EARLIER]));
  });

  it('on the February and the March hotpatch: the baseline\'s fixes are carried, though neither lists them', () => {
    const february = device().applied('KB5077212', '2026-02-11T09:00:00Z');
    expect(protection(february)).toEqual(expect.arrayContaining(['CVE-2026-20805', ...EARLIER]));
    const march = february.applied('KB5079420', '2026-03-11T09:00:00Z');
    expect(march.state.memory.hotpatches.map((h) => h.patchId)).toEqual(['KB5077212', 'KB5079420']);
    expect(protection(march)).toEqual(expect.arrayContaining(['CVE-2026-20805', ...EARLIER]));
  });

  it('on the April baseline: everything before it, the February and March LCUs\' fixes included', () => {
    const april = device()
      .applied('KB5077212', '2026-02-11T09:00:00Z')
      .applied('KB5079420', '2026-03-11T09:00:00Z')
      .staged('KB5083769', '2026-04-14T20:00:00Z')
      .rebooted('2026-04-15T07:00:00Z');
    expect(april.state.memory).toMatchObject({ baselineBuild: '26100.8246', baselinePatchId: 'KB5083769', hotpatches: [] });
    expect(protection(april)).toEqual(expect.arrayContaining(['CVE-2026-20805', 'CVE-2026-21519', 'CVE-2026-21533', 'CVE-2026-25172', ...EARLIER]));
    expect(april.servicing(realCatalog({ asOf: '2026-04-20' }))).toMatchObject({ path: 'hotpatch', baselineKb: 'KB5083769', upToDate: true });
  });
});

describe('a missed baseline: the LCU path until the next baseline', () => {
  // On the January 2026 baseline with the March hotpatch; the April baseline passes it by.
  const inMay = realCatalog({ asOf: '2026-05-20' });
  const inJune = realCatalog({ asOf: '2026-06-20' });
  const offTrain = (catalog = inMay) =>
    aRealDevice('ws-missed', catalog)
      .registered({ build: '26100.7623' }, '2026-01-20T08:00:00Z')
      .applied('KB5079420', '2026-03-11T09:00:00Z')
      .rebooted('2026-03-12T07:00:00Z');

  it('once a hotpatch on the newer baseline shipped (May), the device is on the LCU path, waiting for the next baseline month', () => {
    expect(offTrain().servicing()).toMatchObject({
      path: 'lcu',
      reasons: ['MISSED_BASELINE'],
      baselineKb: 'KB5074109',
      offered: { patchId: 'KB5089549', build: '26100.8457' },
      upToDate: false,
      nextBaseline: { patchId: null, expectedMonth: '2026-07' },
    });
  });

  it('refuses the May hotpatch, which builds on the baseline it missed', () => {
    given(offTrain().events)
      .when(applyHotpatch('KB5089466', { deviceId: 'ws-missed', at: '2026-05-13T09:00:00Z' }), realPatchState('KB5089466'), inMay)
      .thenRejectedFor(['BASELINE_MISMATCH']);
  });

  it('on the May LCU it is up to date on its path, and names the next baseline once the catalog has it', () => {
    const onLcu = offTrain().staged('KB5089549', '2026-05-13T20:00:00Z').rebooted('2026-05-14T07:00:00Z');
    expect(onLcu.servicing()).toMatchObject({ path: 'lcu', reasons: ['CUMULATIVE_UPDATE_INSTALLED'], release: { patchId: 'KB5089549' }, upToDate: true });
    expect(onLcu.servicing(inJune).nextBaseline).toEqual({ patchId: 'KB5094126', expectedMonth: '2026-06' });
  });

  it('stays off the train in June, when the newest baseline (June) has no hotpatch yet: it missed April, and June brings it back', () => {
    expect(offTrain(inJune).servicing()).toMatchObject({
      path: 'lcu',
      reasons: ['MISSED_BASELINE'],
      baselineKb: 'KB5074109',
      upToDate: false,
      nextBaseline: { patchId: 'KB5094126', expectedMonth: '2026-06' },
    });
  });

  it('the next baseline it installs brings it back: staged and rebooted into the June baseline', () => {
    const back = offTrain(inJune).staged('KB5094126', '2026-06-10T20:00:00Z').rebooted('2026-06-11T07:00:00Z');
    expect(back.servicing()).toMatchObject({ path: 'hotpatch', reasons: [], baselineKb: 'KB5094126', upToDate: true, nextBaseline: null });
  });

  it('the next baseline it installs brings it back: a check-in at the June baseline build', () => {
    const back = offTrain(inJune).checkedIn('26100.8655', '2026-06-11T07:00:00Z');
    expect(back.servicing()).toMatchObject({ path: 'hotpatch', reasons: [], release: { patchId: 'KB5094126' }, baselineKb: 'KB5094126' });
  });
});
