import { Build } from '../shared/builds';
import { PatchDefinition, isHotpatchKind, CUMULATIVE_KINDS } from '../catalog/patch';
import { buildOnVersionOf } from '../catalog/os-version';
import { CatalogSubject, ReleaseCatalog, ResolvedBuild } from '../catalog/release-catalog';
import { RegisteredDevice, diskBaselineBuild, lastHotpatchOf, pendingCommit, planeBuild } from './device';
import { Deadline, Judging, NOT_DUE, deadlineOf } from './compliance';
import { IneligibilityReason, deviceEligibility } from './eligibility';

export const SERVICING_PATHS = ['hotpatch', 'lcu', 'ineligible', 'unknown-build'] as const;
/**
 * hotpatch: on the current baseline train. lcu: off the train, gets the monthly cumulative update (restart)
 * until its next baseline. ineligible: cannot hotpatch at all. unknown-build: the catalog does not know what
 * it runs, so nothing is claimed about it.
 */
export type ServicingPath = (typeof SERVICING_PATHS)[number];

/** Why a device that could hotpatch is on the LCU path. Stable codes: only add, never rename. */
export const OFF_TRAIN_REASONS = [
  'MISSED_BASELINE',
  'CUMULATIVE_UPDATE_INSTALLED',
  'OS_UPGRADED_OUTSIDE_BASELINE',
  'HOTPATCH_FAILED',
] as const;
export type OffTrainReason = (typeof OFF_TRAIN_REASONS)[number];

export interface ServicingAssessment {
  path: ServicingPath;
  reasons: (IneligibilityReason | OffTrainReason | 'UNKNOWN_BUILD')[];
  /** The release running in memory, through the catalog. */
  release: { patchId: string; kind: PatchDefinition['kind'] } | null;
  baselineKb: string | null;
  /** The newest release the device's path offers it, with its build on the device's OS version. */
  offered: { patchId: string; build: Build } | null;
  /** Runs what its path offers, with nothing waiting for a reboot. */
  upToDate: boolean;
  /** On the LCU path: the baseline that brings it back (its KB once the catalog has it, else the month expected). */
  nextBaseline: { patchId: string | null; expectedMonth: string } | null;
  /** Since when it is due to run `offered` (its release date) while it does not run it in memory, and until when. */
  due: string | null;
  deadline: string | null;
  /** Past the deadline at the judging time. */
  overdue: boolean;
}

/** Baseline months of the planned quarterly cycle; an unplanned baseline in the catalog counts all the same. */
const BASELINE_MONTHS = [1, 4, 7, 10];

/**
 * Where the device stands in Windows servicing, judged against the catalog: which release it runs, whether it
 * is on the hotpatch train, and whether it runs the newest release its path offers. Pure.
 */
export function assessServicing(state: RegisteredDevice, catalog: ReleaseCatalog, judging: Judging): ServicingAssessment {
  const path = assessPath(state, catalog);
  return { ...path, ...dueOn(path.offered, state, catalog, judging) };
}

/**
 * Due when the device does not run the offered release in memory (a hotpatch applied and not yet committed counts
 * as running: it protects now), from that release's date; a retired device is due nothing.
 */
function dueOn(offered: ServicingAssessment['offered'], state: RegisteredDevice, catalog: ReleaseCatalog, judging: Judging): Deadline {
  const release = offered && catalog.entry(offered.patchId)?.patch;
  if (!release || state.status === 'retired' || offered.build === planeBuild(state.memory)) return NOT_DUE;
  return deadlineOf(release, judging);
}

function assessPath(state: RegisteredDevice, catalog: ReleaseCatalog): Omit<ServicingAssessment, keyof Deadline> {
  const build = planeBuild(state.memory);
  const subject: CatalogSubject = { product: state.profile.product, architecture: state.profile.architecture, build };
  const resolved = catalog.resolve(subject.product, build, lastHotpatchOf(state.memory));
  const release = resolved && { patchId: resolved.release.patchId, kind: resolved.release.kind };
  const baselineKb = resolved?.baseline?.patchId ?? null;
  const general = deviceEligibility({
    profile: state.profile,
    runningBaselineBuild: state.memory.baselineBuild,
    diskBaselineBuild: diskBaselineBuild(state),
    retired: state.status === 'retired',
  });
  // A revert waiting for its reboot is work left too: after it the device runs less than now.
  const settled = pendingCommit(state).length === 0 && state.pendingRestart === null && state.pendingRemoval.length === 0;
  const offer = (patch: PatchDefinition | null) => {
    const offeredBuild = patch && buildOnVersionOf(patch.builds, build);
    return patch && offeredBuild ? { patchId: patch.patchId, build: offeredBuild } : null;
  };
  const lcuOffer = offer(catalog.newest(subject, (p) => CUMULATIVE_KINDS.includes(p.kind)));
  if (resolved === null) {
    return { path: 'unknown-build', reasons: ['UNKNOWN_BUILD'], release, baselineKb, offered: null, upToDate: false, nextBaseline: null };
  }
  const runs = (offered: { build: Build } | null) => settled && offered !== null && offered.build === build;
  const offTrain = offTrainReasons(state, resolved, catalog, subject);
  if (!general.eligible || offTrain.length > 0) {
    const path = general.eligible ? 'lcu' : 'ineligible';
    return {
      path,
      reasons: general.eligible ? offTrain : general.reasons,
      release,
      baselineKb,
      offered: lcuOffer,
      upToDate: runs(lcuOffer),
      nextBaseline: path === 'lcu' ? nextBaseline(catalog, subject, resolved) : null,
    };
  }
  const current = catalog.newestBaseline(subject);
  const onCurrent = current === null || current.patchId === baselineKb;
  const hotpatchOffer = onCurrent
    ? offer(catalog.newest(subject, (p) => isHotpatchKind(p.kind) && current !== null && catalog.baselineOf(p)?.patchId === current.patchId))
    : null;
  const offered = hotpatchOffer ?? offer(current) ?? offer(resolved.baseline);
  return { path: 'hotpatch', reasons: [], release, baselineKb, offered, upToDate: runs(offered), nextBaseline: null };
}

function offTrainReasons(
  state: RegisteredDevice,
  resolved: ResolvedBuild,
  catalog: ReleaseCatalog,
  subject: CatalogSubject,
): OffTrainReason[] {
  const reasons: OffTrainReason[] = [];
  const baseline = resolved.baseline;
  if (baseline === null) {
    reasons.push('CUMULATIVE_UPDATE_INSTALLED');
  } else {
    // A device may still take a newer baseline until a hotpatch on it ships; after that it has missed it. Any newer
    // baseline counts, not only the newest: a device two baselines behind missed the one in between even while
    // the newest has no hotpatch yet (it can still take the newest, which is then its next baseline).
    const missed = catalog.newest(
      subject,
      (p) =>
        p.kind === 'baseline' &&
        p.patchId !== baseline.patchId &&
        Date.parse(p.releasedAt) > Date.parse(baseline.releasedAt) &&
        hotpatchShippedOn(p, catalog, subject),
    );
    if (missed !== null) reasons.push('MISSED_BASELINE');
  }
  const sinceBaseline = (at: string | null | undefined) =>
    at != null && (baseline === null || Date.parse(baseline.releasedAt) <= Date.parse(at));
  if (upgradedOutsideBaseline(baseline, state.osUpgradedAt)) reasons.push('OS_UPGRADED_OUTSIDE_BASELINE');
  if (sinceBaseline(state.hotpatchFailure?.failedAt)) reasons.push('HOTPATCH_FAILED');
  return reasons;
}

/**
 * An OS version change takes the device off the train unless the baseline it runs was released after it or in
 * the same month: an upgrade in a baseline month, onto that baseline, keeps it on.
 */
export function upgradedOutsideBaseline(baseline: PatchDefinition | null, upgradedAt: string | null | undefined): boolean {
  if (upgradedAt == null) return false;
  if (baseline === null) return true;
  const month = (at: string) => new Date(at).toISOString().slice(0, 7);
  return Date.parse(baseline.releasedAt) <= Date.parse(upgradedAt) && month(baseline.releasedAt) !== month(upgradedAt);
}

function hotpatchShippedOn(baseline: PatchDefinition, catalog: ReleaseCatalog, subject: CatalogSubject): boolean {
  return catalog.newest(subject, (p) => isHotpatchKind(p.kind) && catalog.baselineOf(p)?.patchId === baseline.patchId) !== null;
}

function nextBaseline(catalog: ReleaseCatalog, subject: CatalogSubject, resolved: ResolvedBuild): ServicingAssessment['nextBaseline'] {
  const current = catalog.newestBaseline(subject);
  // The newest baseline, newer than what the device runs, brings it back as long as it can still be taken.
  if (current !== null && Date.parse(current.releasedAt) > Date.parse(resolved.release.releasedAt) && !hotpatchShippedOn(current, catalog, subject)) {
    return { patchId: current.patchId, expectedMonth: current.releasedAt.slice(0, 7) };
  }
  // Off the train since the newer of what it runs and the newest baseline it did not take.
  const since = [resolved.release.releasedAt, current?.releasedAt ?? resolved.release.releasedAt].sort(
    (a, b) => Date.parse(b) - Date.parse(a),
  )[0];
  const known = catalog.baselineAfter(subject, since);
  return { patchId: known?.patchId ?? null, expectedMonth: known ? known.releasedAt.slice(0, 7) : nextBaselineMonth(since) };
}

export function nextBaselineMonth(after: string): string {
  const date = new Date(after);
  let year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  let next = BASELINE_MONTHS.find((m) => m > month);
  if (next === undefined) {
    next = BASELINE_MONTHS[0];
    year += 1;
  }
  return `${year}-${String(next).padStart(2, '0')}`;
}
