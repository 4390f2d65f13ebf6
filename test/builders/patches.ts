import { PatchDefinition, PatchDefinitionV1, PatchState, ReleaseCatalog, buildsOf, upcastPatchDefinitionV1 } from '@patchstate/domain';

/*
 * Catalog fixtures. KB numbers, builds and dates of the baselines, of the September 2025 pair and of the
 * out-of-band hotpatch come from /work/shared/docs/hotpatch-domain.md and Microsoft's release notes; the
 * builds of the February/March/May hotpatches are illustrative (26100.30xx on the January baseline).
 */

/** January 2025 baseline (Patch Tuesday 14 January): the base the February and March hotpatches build on. */
export const JANUARY_2025_BASELINE_BUILD = '26100.2894';
export const APRIL_2025_BASELINE_BUILD = '26100.3775';
export const JULY_2025_BASELINE_BUILD = '26100.4652';

/** Windows 11 23H2: below 24H2 (26100), so it cannot hotpatch. */
export const WINDOWS_11_23H2_BUILD = '22631.4751';
/** Windows Server 2022 January 2025 build. */
export const SERVER_2022_JANUARY_2025_BUILD = '20348.3091';

export const JANUARY_2025_CVES = ['CVE-2025-21333', 'CVE-2025-21334', 'CVE-2025-21335'];
export const FEBRUARY_2025_CVES = ['CVE-2025-21391', 'CVE-2025-21418'];
export const MARCH_2025_CVES = ['CVE-2025-24983', 'CVE-2025-24985', 'CVE-2025-24993'];
export const APRIL_2025_CVES = ['CVE-2025-29824'];
export const MAY_2025_CVES = ['CVE-2025-30397', 'CVE-2025-32701'];
export const SEPTEMBER_2025_CVES = ['CVE-2025-54918', 'CVE-2025-55234'];

/**
 * Fixture overrides in the catalog's first shape (one `build`, one `baselineBuild`, `cumulative` for an LCU),
 * or any field of a release: fixtures name one build, and the builders read them as releases, as the
 * service reads a version-1 event.
 */
export type ReleaseOverrides = Partial<Omit<PatchDefinitionV1, 'kind'>> &
  Partial<Pick<PatchDefinition, 'kind' | 'builds' | 'baselineKb' | 'replaces'>>;

function release(base: PatchDefinitionV1, overrides: ReleaseOverrides): PatchDefinition {
  const { builds, baselineKb, replaces, ...first } = overrides;
  const upcast = upcastPatchDefinitionV1({ ...base, ...first } as PatchDefinitionV1);
  return {
    ...upcast,
    ...(builds === undefined ? {} : { builds }),
    ...(baselineKb === undefined ? {} : { baselineKb }),
    ...(replaces === undefined ? {} : { replaces }),
  };
}

/** The release's build (fixtures cover one OS version). */
export function buildOf(patch: PatchDefinition): string {
  return buildsOf(patch.builds)[0]!;
}

/** A hotpatch fixture's baseline build. */
export function baselineBuildOf(patch: PatchDefinition): string {
  return buildsOf(patch.baselineBuilds)[0]!;
}

/** A quarterly baseline: a cumulative update that needs a restart. Defaults to January 2025 (KB5050009). */
export function aBaseline(overrides: ReleaseOverrides = {}): PatchDefinition {
  return release({
    patchId: 'KB5050009',
    kind: 'baseline',
    build: JANUARY_2025_BASELINE_BUILD,
    baselineBuild: null,
    releasedAt: '2025-01-14T18:00:00Z',
    architectures: ['x64', 'arm64'],
    products: ['windows-11', 'windows-server-2025'],
    cves: [...JANUARY_2025_CVES],
    supersedes: [],
  }, overrides);
}

/** A hotpatch on the January 2025 baseline. Defaults to February 2025 (KB5052093, 26100.3032). */
export function aHotpatch(overrides: ReleaseOverrides = {}): PatchDefinition {
  return release({
    patchId: 'KB5052093',
    kind: 'hotpatch',
    build: '26100.3032',
    baselineBuild: JANUARY_2025_BASELINE_BUILD,
    releasedAt: '2025-02-11T18:00:00Z',
    architectures: ['x64', 'arm64'],
    products: ['windows-11', 'windows-server-2025'],
    cves: [...FEBRUARY_2025_CVES],
    supersedes: [],
  }, overrides);
}

/** An ordinary monthly cumulative update (restart needed). Defaults to September 2025 (KB5065426, 26100.6584). */
export function aCumulative(overrides: ReleaseOverrides = {}): PatchDefinition {
  return release({
    patchId: 'KB5065426',
    kind: 'cumulative',
    build: '26100.6584',
    baselineBuild: null,
    releasedAt: '2025-09-09T17:00:00Z',
    architectures: ['x64', 'arm64'],
    products: ['windows-11', 'windows-server-2025'],
    cves: [...SEPTEMBER_2025_CVES],
    supersedes: [],
  }, overrides);
}

export const JANUARY_2025_BASELINE = aBaseline();

export const FEBRUARY_2025_HOTPATCH = aHotpatch();

/** Cumulative within its baseline: March carries February's fixes too. */
export const MARCH_2025_HOTPATCH = aHotpatch({
  patchId: 'KB5053636',
  build: '26100.3076',
  releasedAt: '2025-03-11T17:00:00Z',
  cves: [...FEBRUARY_2025_CVES, ...MARCH_2025_CVES],
  supersedes: ['KB5052093'],
});

export const APRIL_2025_BASELINE = aBaseline({
  patchId: 'KB5055523',
  build: APRIL_2025_BASELINE_BUILD,
  releasedAt: '2025-04-08T17:00:00Z',
  cves: [...JANUARY_2025_CVES, ...FEBRUARY_2025_CVES, ...MARCH_2025_CVES, ...APRIL_2025_CVES],
  supersedes: ['KB5050009', 'KB5052093', 'KB5053636'],
});

/** A hotpatch on the April 2025 baseline. */
export const MAY_2025_HOTPATCH = aHotpatch({
  patchId: 'KB5058497',
  build: '26100.4052',
  baselineBuild: APRIL_2025_BASELINE_BUILD,
  releasedAt: '2025-05-13T17:00:00Z',
  cves: [...MAY_2025_CVES],
});

/** Out-of-band hotpatch of May 2025 on the April baseline. */
export const OUT_OF_BAND_MAY_2025_HOTPATCH = aHotpatch({
  patchId: 'KB5061258',
  build: '26100.3983',
  baselineBuild: APRIL_2025_BASELINE_BUILD,
  releasedAt: '2025-05-27T17:00:00Z',
  cves: ['CVE-2025-33053'],
});

export const JULY_2025_BASELINE = aBaseline({
  patchId: 'KB5062553',
  build: JULY_2025_BASELINE_BUILD,
  releasedAt: '2025-07-08T17:00:00Z',
  cves: ['CVE-2025-49704', 'CVE-2025-49719'],
});

/** September 2025 hotpatch: build 26100.6508, lower than the same month's cumulative, same fixes. */
export const SEPTEMBER_2025_HOTPATCH = aHotpatch({
  patchId: 'KB5065474',
  build: '26100.6508',
  baselineBuild: JULY_2025_BASELINE_BUILD,
  releasedAt: '2025-09-09T17:00:00Z',
  cves: [...SEPTEMBER_2025_CVES],
});

/** September 2025 cumulative update: build 26100.6584. */
export const SEPTEMBER_2025_CUMULATIVE = aCumulative();

/** Catalog state of a patch as the device decider receives it. */
export function patchState(
  definition: PatchDefinition,
  options: { revoked?: boolean; revokedAt?: string; reason?: string } = {},
): PatchState {
  if (!options.revoked) return { status: 'published', patch: definition };
  return {
    status: 'revoked',
    patch: definition,
    revokedAt: options.revokedAt ?? '2025-02-14T10:00:00Z',
    reason: options.reason ?? 'known issue: boot loop on some devices',
  };
}

export const UNPUBLISHED: PatchState = { status: 'unpublished' };

/** Every fixture release: the catalog the device decider is given in unit tests. */
export function fixtureCatalog(...more: PatchDefinition[]): ReleaseCatalog {
  const fixtures = [
    JANUARY_2025_BASELINE,
    FEBRUARY_2025_HOTPATCH,
    MARCH_2025_HOTPATCH,
    APRIL_2025_BASELINE,
    MAY_2025_HOTPATCH,
    OUT_OF_BAND_MAY_2025_HOTPATCH,
    JULY_2025_BASELINE,
    SEPTEMBER_2025_HOTPATCH,
    SEPTEMBER_2025_CUMULATIVE,
  ];
  const byKb = new Map([...fixtures, ...more].map((patch) => [patch.patchId, patch]));
  return new ReleaseCatalog([...byKb.values()].map((patch) => ({ patch, revoked: false })));
}
