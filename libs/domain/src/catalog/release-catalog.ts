import { Build } from '../shared/builds';
import { buildOnVersionOf, buildsOf, revisionOnBranchOf } from './os-version';
import { Architecture, CUMULATIVE_KINDS, PatchDefinition, PatchKind, PatchState, Product, isHotpatchKind } from './patch';

export interface CatalogEntry {
  patch: PatchDefinition;
  revoked: boolean;
}

/** What a reported build is, through the catalog. */
export interface ResolvedBuild {
  release: PatchDefinition;
  revoked: boolean;
  /** The baseline the device sits on: the release itself, or a hotpatch's baseline; null on the LCU track. */
  baseline: PatchDefinition | null;
  /** The baseline's build on the device's OS version (known from a hotpatch even when its baseline is not). */
  baselineBuild: Build | null;
}

/** The device facts that decide whether a release or a CVE concerns it. */
export interface CatalogSubject {
  product: Product;
  architecture: Architecture;
  build: Build;
}

/**
 * When several releases share a build (Server 2025's OOB LCU KB5070881 and its hotpatch twin KB5070893 are both
 * 26100.6905), the one the device is known to have installed wins (`preferred`), else the cumulative one: a
 * build that cannot be told apart is not claimed to be on the hotpatch train.
 */
const RESOLUTION_ORDER: readonly PatchKind[] = ['baseline', 'lcu', 'oob-lcu', 'hotpatch', 'oob-hotpatch'];

/**
 * The release catalog as a pure value: resolves builds to releases and baselines, and answers which CVEs a
 * release fixes cumulatively (baselines and LCUs carry every earlier fix of their branch; a hotpatch carries its
 * baseline's and the earlier hotpatches' of that baseline) and to which devices a CVE applies at all.
 */
export class ReleaseCatalog {
  private readonly byKb: ReadonlyMap<string, CatalogEntry>;
  /** Entries by each build they cover: resolving a build is the hot path of every query. */
  private readonly byBuild = new Map<Build, CatalogEntry[]>();
  private readonly fixCache = new Map<string, ReadonlySet<string>>();

  constructor(entries: readonly CatalogEntry[]) {
    this.byKb = new Map(entries.map((entry) => [entry.patch.patchId, entry]));
    for (const entry of this.byKb.values()) {
      for (const build of buildsOf(entry.patch.builds)) this.byBuild.set(build, [...(this.byBuild.get(build) ?? []), entry]);
    }
  }

  static empty(): ReleaseCatalog {
    return new ReleaseCatalog([]);
  }

  static fromStates(states: readonly PatchState[]): ReleaseCatalog {
    return new ReleaseCatalog(
      states.flatMap((s) => (s.status === 'unpublished' ? [] : [{ patch: s.patch, revoked: s.status === 'revoked' }])),
    );
  }

  entries(): CatalogEntry[] {
    return [...this.byKb.values()];
  }

  entry(patchId: string): CatalogEntry | undefined {
    return this.byKb.get(patchId);
  }

  /** The release a device of `product` runs when it reports `build`; null when the catalog does not know it. */
  resolve(product: Product, build: Build, preferred: string | null = null): ResolvedBuild | null {
    const rank = (e: CatalogEntry) => (e.patch.patchId === preferred ? -1 : RESOLUTION_ORDER.indexOf(e.patch.kind));
    const matches = (this.byBuild.get(build) ?? [])
      .filter((e) => e.patch.products.includes(product))
      .sort((a, b) => rank(a) - rank(b) || Number(a.revoked) - Number(b.revoked));
    const found = matches[0];
    if (found === undefined) return null;
    const { patch } = found;
    if (patch.kind === 'baseline') return { release: patch, revoked: found.revoked, baseline: patch, baselineBuild: build };
    if (!isHotpatchKind(patch.kind)) return { release: patch, revoked: found.revoked, baseline: null, baselineBuild: null };
    return { release: patch, revoked: found.revoked, baseline: this.baselineOf(patch), baselineBuild: this.baselineBuildOf(patch, build) };
  }

  /** A hotpatch's baseline: by its KB, or (for hotpatches recorded by build) the baseline with that build. */
  baselineOf(hotpatch: PatchDefinition): PatchDefinition | null {
    if (hotpatch.baselineKb !== null) return this.byKb.get(hotpatch.baselineKb)?.patch ?? null;
    const builds = buildsOf(hotpatch.baselineBuilds);
    const baseline = this.entries().find((e) => e.patch.kind === 'baseline' && buildsOf(e.patch.builds).some((b) => builds.includes(b)));
    return baseline?.patch ?? null;
  }

  /** The build a device on `deviceBuild`'s OS version must run as its baseline to take `hotpatch`. */
  baselineBuildOf(hotpatch: PatchDefinition, deviceBuild: Build): Build | null {
    const baseline = this.baselineOf(hotpatch);
    return (
      (baseline && buildOnVersionOf(baseline.builds, deviceBuild)) ?? buildOnVersionOf(hotpatch.baselineBuilds, deviceBuild)
    );
  }

  /** Every CVE fixed by what a device of `product` runs at `build`; null when the build is unknown. */
  fixedCves(product: Product, build: Build, preferred: string | null = null): ReadonlySet<string> | null {
    const resolved = this.resolve(product, build, preferred);
    return resolved === null ? null : this.fixesOf(resolved.release, product, build);
  }

  /** The CVE concerns the device: some release for its product, branch and architecture fixes it. */
  appliesTo(cveId: string, subject: CatalogSubject): boolean {
    return this.releasesFixing(cveId).some(
      (patch) =>
        patch.products.includes(subject.product) &&
        patch.architectures.includes(subject.architecture) &&
        (buildsOf(patch.builds).length === 0 || revisionOnBranchOf(patch.builds, subject.build) !== null),
    );
  }

  /** Releases that list the CVE themselves (not by carrying an earlier fix). */
  releasesFixing(cveId: string): PatchDefinition[] {
    return this.entries()
      .map((e) => e.patch)
      .filter((patch) => patch.cves.includes(cveId));
  }

  /** The first release date of a fix for the CVE: where an exposure window starts. */
  firstFixReleasedAt(cveId: string): string | null {
    const dates = this.releasesFixing(cveId).map((p) => p.releasedAt);
    return dates.reduce<string | null>((min, d) => (min === null || Date.parse(d) < Date.parse(min) ? d : min), null);
  }

  /** The newest unrevoked baseline for the product on the build's branch (and for its architecture). */
  newestBaseline(subject: CatalogSubject): PatchDefinition | null {
    return this.newest(subject, (p) => p.kind === 'baseline');
  }

  /** The newest unrevoked, unreplaced release matching `accept` that covers the subject's OS version. */
  newest(subject: CatalogSubject, accept: (patch: PatchDefinition) => boolean): PatchDefinition | null {
    const replaced = new Set(this.entries().flatMap((e) => e.patch.replaces));
    const candidates = this.entries().filter(
      (e) =>
        !e.revoked &&
        !replaced.has(e.patch.patchId) &&
        accept(e.patch) &&
        e.patch.products.includes(subject.product) &&
        e.patch.architectures.includes(subject.architecture) &&
        buildOnVersionOf(e.patch.builds, subject.build) !== null,
    );
    const revision = (p: PatchDefinition) => revisionOnBranchOf(p.builds, subject.build) ?? -1;
    return candidates.map((e) => e.patch).sort((a, b) => revision(b) - revision(a) || Date.parse(b.releasedAt) - Date.parse(a.releasedAt))[0] ?? null;
  }

  /** The first baseline for the subject's product and branch released after `after`, if the catalog has one. */
  baselineAfter(subject: CatalogSubject, after: string): PatchDefinition | null {
    return (
      this.entries()
        .map((e) => e.patch)
        .filter(
          (p) =>
            p.kind === 'baseline' &&
            p.products.includes(subject.product) &&
            revisionOnBranchOf(p.builds, subject.build) !== null &&
            Date.parse(p.releasedAt) > Date.parse(after),
        )
        .sort((a, b) => Date.parse(a.releasedAt) - Date.parse(b.releasedAt))[0] ?? null
    );
  }

  /** Whether two hotpatches build on one baseline. */
  sameBaseline(a: PatchDefinition, b: PatchDefinition): boolean {
    const baselineA = this.baselineOf(a);
    if (baselineA !== null) return baselineA.patchId === this.baselineOf(b)?.patchId;
    const buildsB = buildsOf(b.baselineBuilds);
    return buildsOf(a.baselineBuilds).some((build) => buildsB.includes(build));
  }

  /**
   * Every release whose fixes a device of `product` running `build` carries, the one it runs included: every
   * release of its branch up to it (a baseline or LCU), or its baseline's and the hotpatches on that baseline
   * up to it (a hotpatch). Null when the
   * build is unknown. The rollout of a release counts the devices whose running release carries it.
   */
  carriedReleases(product: Product, build: Build, preferred: string | null = null): ReadonlySet<string> | null {
    const resolved = this.resolve(product, build, preferred);
    return resolved === null ? null : new Set(this.carriedBy(resolved.release, product, build).map((p) => p.patchId));
  }

  private fixesOf(release: PatchDefinition, product: Product, deviceBuild: Build): ReadonlySet<string> {
    const key = `${release.patchId}|${product}|${deviceBuild}`;
    const cached = this.fixCache.get(key);
    if (cached) return cached;
    const result = new Set(this.carriedBy(release, product, deviceBuild).flatMap((patch) => patch.cves));
    this.fixCache.set(key, result);
    return result;
  }

  private carriedBy(release: PatchDefinition, product: Product, deviceBuild: Build): PatchDefinition[] {
    const revision = revisionOnBranchOf(release.builds, deviceBuild) ?? Number.POSITIVE_INFINITY;
    const onBranchUpTo = (p: PatchDefinition) => {
      const r = revisionOnBranchOf(p.builds, deviceBuild);
      return p.products.includes(product) && r !== null && r <= revision;
    };
    const cumulative = CUMULATIVE_KINDS.includes(release.kind);
    const baseline = cumulative ? null : this.baselineOf(release);
    // A hotpatch starts from what its baseline carries; a cumulative release from nothing but its own branch.
    const fromBaseline = baseline === null ? [] : this.carriedBy(baseline, product, deviceBuild);
    const track = this.entries()
      .map((e) => e.patch)
      // A cumulative release carries every earlier release of its branch, hotpatches included (they shipped a
      // subset of their month's fixes, at a revision between the LCUs around them).
      .filter((p) => (cumulative ? onBranchUpTo(p) : isHotpatchKind(p.kind) && onBranchUpTo(p) && this.sameBaseline(p, release)));
    const all = [...fromBaseline, ...this.withSuperseded([release, ...track])];
    return [...new Map(all.map((p) => [p.patchId, p])).values()];
  }

  /** Releases plus those they supersede or replace (one level: a superseded release's own list). */
  private withSuperseded(releases: PatchDefinition[]): PatchDefinition[] {
    const named = releases.flatMap((p) => [...p.supersedes, ...p.replaces]);
    return [...releases, ...named.flatMap((kb) => this.byKb.get(kb)?.patch ?? [])];
  }
}
