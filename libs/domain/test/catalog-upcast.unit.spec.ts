import { PatchCatalogEvent, PatchDefinition, evolvePatch, initialPatchState, schemaVersionOf, toDomainEvent, toPatchCatalogEvent } from '@patchstate/domain';
import { givenPatch } from './given.helper.spec';
import { importRelease, realCatalog, realRelease } from './real-releases.helper.spec';

/*
 * Events written by the code before the release catalog keep working: version 1 of PatchPublished (one build,
 * `cumulative` for an LCU) and of UpdateStaged/DeviceRebooted are upcast when read. ImportRelease says what a
 * release is: published when new, nothing when the same, an amendment naming the fields when changed.
 */

/** PatchPublished as the previous code wrote it: the September 2025 LCU and hotpatch. */
const V1_LCU = {
  patchId: 'KB5065426',
  kind: 'cumulative',
  build: '26100.6584',
  baselineBuild: null,
  releasedAt: '2025-09-09T17:00:00Z',
  architectures: ['x64', 'arm64'],
  products: null,
  cves: ['CVE-2025-54918'],
  supersedes: [],
};
const V1_HOTPATCH = { ...V1_LCU, patchId: 'KB5065474', kind: 'hotpatch', build: '26100.6508', baselineBuild: '26100.4652', products: ['windows-11'] };

describe('reading a version-1 PatchPublished', () => {
  it('upcasts an LCU written as `cumulative` with one build and no products to the release shape', () => {
    expect(toPatchCatalogEvent({ type: 'PatchPublished', schemaVersion: 1, data: V1_LCU })).toEqual({
      type: 'PatchPublished',
      data: {
        patchId: 'KB5065426',
        kind: 'lcu',
        releasedAt: '2025-09-09T17:00:00Z',
        products: ['windows-11', 'windows-server-2025'],
        builds: { '24H2': '26100.6584' },
        architectures: ['x64', 'arm64'],
        baselineKb: null,
        baselineBuilds: {},
        cves: ['CVE-2025-54918'],
        supersedes: [],
        replaces: [],
      },
    });
  });

  it('upcasts a hotpatch, through toDomainEvent too: its baseline known by build, not yet by KB', () => {
    const stored = { type: 'PatchPublished', schemaVersion: 1, data: V1_HOTPATCH };
    const event = toDomainEvent(stored);
    expect(event).toEqual(toPatchCatalogEvent(stored));
    expect(event.data).toMatchObject({ kind: 'hotpatch', products: ['windows-11'], builds: { '24H2': '26100.6508' }, baselineKb: null, baselineBuilds: { '24H2': '26100.4652' } });
  });

  it('gives an upcast hotpatch its baseline through the catalog, by build', () => {
    const hotpatch = toPatchCatalogEvent({ type: 'PatchPublished', schemaVersion: 1, data: V1_HOTPATCH }).data as PatchDefinition;
    const catalog = realCatalog({ more: [hotpatch] });
    expect(catalog.baselineOf(hotpatch)?.patchId).toBe('KB5062553');
    expect(catalog.resolve('windows-11', '26100.6508')).toMatchObject({ release: { patchId: 'KB5065474' }, baseline: { patchId: 'KB5062553' }, baselineBuild: '26100.4652' });
  });

  it('reads a Windows Server 2022 build as a server build of that product', () => {
    const server = { ...V1_LCU, patchId: 'KB5051979', build: '20348.3207' };
    expect(toPatchCatalogEvent({ type: 'PatchPublished', schemaVersion: 1, data: server }).data).toMatchObject({
      builds: { server: '20348.3207' },
      products: ['windows-server-2022'],
    });
  });

  it('folds a version-1 history like a new one', () => {
    const history = [
      toPatchCatalogEvent({ type: 'PatchPublished', schemaVersion: 1, data: V1_LCU }),
      toPatchCatalogEvent({ type: 'PatchRevoked', schemaVersion: 1, data: { patchId: 'KB5065426', reason: 'known issue', revokedAt: '2025-09-10T00:00:00Z' } }),
    ];
    expect(history.reduce(evolvePatch, initialPatchState)).toMatchObject({ status: 'revoked', patch: { kind: 'lcu', builds: { '24H2': '26100.6584' } } });
  });

  it('passes the current version through unchanged', () => {
    const release = realRelease('KB5072014');
    expect(toPatchCatalogEvent({ type: 'PatchPublished', schemaVersion: 2, data: release })).toEqual({ type: 'PatchPublished', data: release });
  });
});

describe('reading version-1 device events that named an LCU `cumulative`', () => {
  const activated = { patchId: 'KB5065426', kind: 'cumulative', build: '26100.6584', cves: [] };
  const staged = { deviceId: 'ws-0042', patchId: 'KB5065426', kind: 'cumulative', build: '26100.6584', cves: [], stagedAt: '2025-09-10T20:00:00Z', replaces: null };
  const rebooted = { deviceId: 'ws-0042', bootId: 'boot-1', rebootedAt: '2025-09-11T07:00:00Z', committed: [], activated, superseded: [], removed: [], build: '26100.6584' };

  it('reads UpdateStaged and DeviceRebooted with kind `lcu`', () => {
    expect(toDomainEvent({ type: 'UpdateStaged', schemaVersion: 1, data: staged })).toEqual({ type: 'UpdateStaged', data: { ...staged, kind: 'lcu' } });
    expect(toDomainEvent({ type: 'DeviceRebooted', schemaVersion: 1, data: rebooted })).toEqual({
      type: 'DeviceRebooted',
      data: { ...rebooted, activated: { ...activated, kind: 'lcu' } },
    });
  });

  it('keeps a baseline a baseline and a reboot that activated nothing as it was', () => {
    expect(toDomainEvent({ type: 'UpdateStaged', schemaVersion: 1, data: { ...staged, kind: 'baseline' } }).data).toMatchObject({ kind: 'baseline' });
    const plain = { ...rebooted, activated: null };
    expect(toDomainEvent({ type: 'DeviceRebooted', schemaVersion: 1, data: plain })).toEqual({ type: 'DeviceRebooted', data: plain });
  });

  it('writes the changed events at version 2 and the others at 1', () => {
    expect([schemaVersionOf('PatchPublished'), schemaVersionOf('UpdateStaged'), schemaVersionOf('DeviceRebooted')]).toEqual([2, 2, 2]);
    expect([schemaVersionOf('PatchRevoked'), schemaVersionOf('HotpatchApplied'), schemaVersionOf('DeviceCheckedIn')]).toEqual([1, 1, 1]);
  });
});

describe('refusing what this code cannot read', () => {
  it.each([
    ['a newer schema version', { type: 'PatchPublished', schemaVersion: 3, data: V1_LCU }, /schema version 3 is not known/],
    ['version 0', { type: 'PatchPublished', schemaVersion: 0, data: V1_LCU }, /schema version 0 is not known/],
    ['a newer device event', { type: 'UpdateStaged', schemaVersion: 3, data: {} }, /schema version 3 is not known/],
    ['an unknown type', { type: 'PatchRenamed', schemaVersion: 1, data: {} }, /not a domain event: PatchRenamed/],
  ])('refuses %s', (_name, stored, message) => {
    expect(() => toDomainEvent(stored)).toThrow(message);
  });
});

describe('ImportRelease', () => {
  const release = realRelease('KB5079420');
  const published: PatchCatalogEvent = { type: 'PatchPublished', data: release };

  it('publishes a release the catalog does not have', () => {
    givenPatch([]).when(importRelease(release)).then([published]);
  });

  it('appends nothing for the same release again, whatever the order of its lists and builds', () => {
    const reordered = { ...release, architectures: ['arm64', 'x64'], builds: { '25H2': '26200.7979', '24H2': '26100.7979' } } as PatchDefinition;
    givenPatch([published]).when(importRelease(release)).then([]);
    givenPatch([published]).when(importRelease(reordered)).then([]);
  });

  it('amends a changed release, naming each field changed with its value before and after', () => {
    const corrected: PatchDefinition = { ...release, cves: ['CVE-2026-21536'], architectures: ['x64'] };
    const state = givenPatch([published])
      .when(importRelease(corrected, '2026-03-20T10:00:00Z'))
      .then([
        {
          type: 'PatchAmended',
          data: {
            patchId: 'KB5079420',
            changes: [
              { field: 'architectures', from: ['x64', 'arm64'], to: ['x64'] },
              { field: 'cves', from: [], to: ['CVE-2026-21536'] },
            ],
            definition: corrected,
            amendedAt: '2026-03-20T10:00:00Z',
          },
        },
      ]);
    expect(state).toEqual({ status: 'published', patch: corrected });
  });

  it('amends a revoked release without publishing it again', () => {
    const revoked: PatchCatalogEvent = { type: 'PatchRevoked', data: { patchId: 'KB5079420', reason: 'RRAS fixes missing', revokedAt: '2026-03-12T00:00:00Z' } };
    const corrected: PatchDefinition = { ...release, cves: ['CVE-2026-21536'] };
    const state = givenPatch([published, revoked]).when(importRelease(corrected)).then([expect.objectContaining({ type: 'PatchAmended' })]);
    expect(state).toMatchObject({ status: 'revoked', patch: corrected });
  });
});
