import { CatalogSubject, PatchDefinition } from '@patchstate/domain';
import { applyHotpatch } from '../../../test/builders';
import { given, givenPatch } from './given.helper.spec';
import { REAL_RELEASES, aRealDevice, importRelease, realCatalog, realPatchState, realRelease } from './real-releases.helper.spec';

/** The release catalog with the releases of ../shared/data/windows-releases.json. */

const windows11 = (build: string): CatalogSubject => ({ product: 'windows-11', architecture: 'x64', build });
const server2025 = (build: string): CatalogSubject => ({ product: 'windows-server-2025', architecture: 'x64', build });

describe('the real data as releases', () => {
  it('has 64 releases with builds, every hotpatch on a baseline the catalog holds', () => {
    expect(REAL_RELEASES).toHaveLength(64);
    const catalog = realCatalog();
    for (const hotpatch of REAL_RELEASES.filter((r) => r.kind === 'hotpatch' || r.kind === 'oob-hotpatch')) {
      expect([hotpatch.patchId, catalog.baselineOf(hotpatch)?.kind]).toEqual([hotpatch.patchId, 'baseline']);
    }
  });
});

describe('March 2026: the hotpatch lacked the RRAS fixes that the LCU had', () => {
  const catalog = realCatalog();
  const RRAS = 'CVE-2026-25172';

  it.each(['26100', '26200'])('on %s.7979 (hotpatch KB5079420) the CVE applies but is not fixed: exposed', (major) => {
    expect(catalog.appliesTo(RRAS, windows11(`${major}.7979`))).toBe(true);
    expect(catalog.fixedCves('windows-11', `${major}.7979`)).not.toContain(RRAS);
  });

  it.each([
    ['26100.7982', 'the out-of-band hotpatch KB5084597'],
    ['26200.7982', 'the out-of-band hotpatch KB5084597 on 25H2'],
    ['26100.8037', 'the LCU KB5079473'],
    ['26200.8037', 'the LCU KB5079473 on 25H2'],
  ])('on %s (%s) it is protected', (build) => {
    expect(catalog.appliesTo(RRAS, windows11(build))).toBe(true);
    expect(catalog.fixedCves('windows-11', build)).toContain(RRAS);
  });

  it('a device on the March hotpatch is protected in memory once it applies KB5084597, without a restart', () => {
    const onMarch = aRealDevice('ws-rras', catalog)
      .registered({ build: '26100.7623' }, '2026-01-20T08:00:00Z')
      .applied('KB5079420', '2026-03-11T09:00:00Z')
      .rebooted('2026-03-12T07:00:00Z');
    expect(onMarch.view(onMarch.state.lastSeenAt!, catalog).memory.cves).not.toContain(RRAS);
    const patched = onMarch.applied('KB5084597', '2026-03-14T09:00:00Z');
    const view = patched.view(patched.state.lastSeenAt!, catalog);
    expect(view.memory).toMatchObject({ build: '26100.7982', release: 'KB5084597', baselineKb: 'KB5074109' });
    expect(view.memory.cves).toContain(RRAS);
    expect(view.disk.cves).not.toContain(RRAS);
  });

  it('the April baseline carries the fix, as every later cumulative release does', () => {
    expect(catalog.fixedCves('windows-11', '26100.8246')).toContain(RRAS);
  });
});

describe('a Server-only CVE does not touch Windows 11 devices', () => {
  // CVE-2025-59287 (WSUS) is fixed only by the Server 2025 releases KB5070881 (oob-lcu) and KB5070893 (oob-hotpatch).
  const catalog = realCatalog();
  const WSUS = 'CVE-2025-59287';

  it('applies to no Windows 11 device, on any build of the branch', () => {
    for (const build of ['26100.6899', '26100.7392', '26200.7392']) expect(catalog.appliesTo(WSUS, windows11(build))).toBe(false);
  });

  it('applies to a Server 2025 device: exposed on the October baseline, protected on the fix', () => {
    expect(catalog.appliesTo(WSUS, server2025('26100.6899'))).toBe(true);
    expect(catalog.fixedCves('windows-server-2025', '26100.6899')).not.toContain(WSUS);
    expect(catalog.fixedCves('windows-server-2025', '26100.6905')).toContain(WSUS);
  });

  it('is not carried into what a Windows 11 device runs, though the Windows 11 releases are on the same branch', () => {
    expect(catalog.fixedCves('windows-11', '26100.7392')).not.toContain(WSUS);
    expect(catalog.fixedCves('windows-server-2025', '26100.7392')).toContain(WSUS);
  });
});

describe('a build the catalog does not know, until it learns it', () => {
  // KB5072753 (out-of-band hotpatch, November 2025) is known by its 25H2 build only; a 24H2 device reports 26100.7093.
  const known = realCatalog({ asOf: '2025-12-10' });
  const device = () => aRealDevice('ws-unknown', known).registered({ build: '26100.7093' }, '2025-11-25T08:00:00Z');
  const learned: PatchDefinition = { ...realRelease('KB5072753'), builds: { '24H2': '26100.7093', '25H2': '26200.7093' } };

  it('is on no path but unknown-build, with UNKNOWN_BUILD as its reason, and no release claimed', () => {
    expect(known.resolve('windows-11', '26100.7093')).toBeNull();
    expect(known.fixedCves('windows-11', '26100.7093')).toBeNull();
    expect(device().servicing()).toMatchObject({ path: 'unknown-build', reasons: ['UNKNOWN_BUILD'], release: null, baselineKb: null, upToDate: false });
  });

  it('refuses a hotpatch with UNKNOWN_BUILD, not BASELINE_MISMATCH: its baseline cannot be told', () => {
    given(device().events)
      .when(applyHotpatch('KB5072014', { deviceId: 'ws-unknown', at: '2025-12-10T09:00:00Z' }), realPatchState('KB5072014'), known)
      .thenRejectedFor(['UNKNOWN_BUILD']);
  });

  it('resolves once an import amends the release with that build: on its hotpatch, on the October baseline, and takes December\'s', () => {
    const amended = givenPatch([{ type: 'PatchPublished', data: realRelease('KB5072753') }])
      .when(importRelease(learned))
      .then([
        {
          type: 'PatchAmended',
          data: {
            patchId: 'KB5072753',
            changes: [{ field: 'builds', from: { '25H2': '26200.7093' }, to: learned.builds }],
            definition: learned,
            amendedAt: expect.any(String),
          },
        },
      ]);
    if (amended.status !== 'published') throw new Error('the release is still published');
    const catalog = realCatalog({ asOf: '2025-12-10', more: [amended.patch] });
    expect(device().servicing(catalog)).toMatchObject({ path: 'hotpatch', release: { patchId: 'KB5072753' }, baselineKb: 'KB5066835' });
    const [applied] = given(device().events)
      .when(applyHotpatch('KB5072014', { deviceId: 'ws-unknown', at: '2025-12-10T09:00:00Z' }), realPatchState('KB5072014'), catalog)
      .events();
    expect(applied).toMatchObject({ type: 'HotpatchApplied', data: { build: '26100.7392', baselineBuild: '26100.6899' } });
  });
});
