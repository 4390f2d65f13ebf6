import { Build } from '../shared/builds';
import { PatchDefinition, isHotpatchKind } from '../catalog/patch';
import { buildOnVersionOf } from '../catalog/os-version';
import { ReleaseCatalog } from '../catalog/release-catalog';
import { DeviceProfile, DeviceProfileChange } from './device-profile';
import { Judging, isStale } from './compliance';
import { Plane, RegisteredDevice, diskBaselineBuild, lastHotpatchOf, pendingCommit, planeBuild, planeCves } from './device';
import { Eligibility, deviceEligibility, hotpatchEligibility } from './eligibility';
import { planeBaselineBuild } from './plane-baseline';
import { ServicingAssessment, assessServicing } from './servicing-path';

export interface PlaneView {
  build: Build;
  /** The baseline build the plane sits on (through the catalog when it knows the build). */
  baselineBuild: Build;
  /** The release the plane runs, and the baseline it sits on; null when the catalog does not know the build. */
  release: string | null;
  baselineKb: string | null;
  hotpatches: string[];
  /** Every CVE fixed by what the plane runs, cumulatively through the catalog. */
  cves: string[];
}

/** The device as operators see it: both planes with what is derived from them. */
export interface DeviceView {
  deviceId: string;
  hostname: string;
  profile: DeviceProfile;
  eligibility: Eligibility & { patchId: string | null };
  servicing: ServicingAssessment;
  memory: PlaneView;
  disk: PlaneView;
  pendingCommit: string[];
  /** When the oldest hotpatch still waiting for a reboot was applied in memory (device time); null if none. */
  pendingCommitSince: string | null;
  /** Disk ahead of memory since `stagedAt`: what operators chase when they ask who waits for a reboot. */
  pendingRestart: { patchId: string; build: Build; stagedAt: string } | null;
  pendingRemoval: string[];
  retired: boolean;
  /** The newest time the device itself reported anything (device time). */
  lastSeenAt: string | null;
  /** Not heard from for the policy's staleAfterDays at the judging time: nothing it last said is claimed now. */
  stale: boolean;
  /** Profile changes waiting for the next restart to take effect (CHPE disabled on Arm64); null if none. */
  profileAtRestart: DeviceProfileChange | null;
}

/** The CVEs a plane is protected against: the catalog's cumulative fixes, or what was recorded when it does not know the build. */
export function planeProtection(state: RegisteredDevice, plane: Plane, catalog: ReleaseCatalog): string[] {
  const fixed = catalog.fixedCves(state.profile.product, planeBuild(plane), lastHotpatchOf(plane));
  return fixed === null ? planeCves(plane) : [...fixed].sort();
}

/**
 * The newest hotpatch the catalog offers the device's baseline, unrevoked first: eligibility is judged for it,
 * or for the device in general when the catalog offers none.
 */
export function offeredHotpatch(state: RegisteredDevice, catalog: ReleaseCatalog): { patch: PatchDefinition; revoked: boolean } | null {
  const running = planeBuild(state.memory);
  const baseline = planeBaselineBuild(state.memory.baselineBuild, state.profile.product, catalog);
  const offers = catalog
    .entries()
    .filter((e) => isHotpatchKind(e.patch.kind) && catalog.baselineBuildOf(e.patch, running) === baseline)
    .sort((a, b) => Number(a.revoked) - Number(b.revoked) || revision(b.patch, running) - revision(a.patch, running));
  return offers[0] ?? null;
}

function revision(patch: PatchDefinition, deviceBuild: Build): number {
  const build = buildOnVersionOf(patch.builds, deviceBuild);
  return build === null ? -1 : Number(build.split('.')[1]);
}

/**
 * The device judged at `judging.at`: its servicing through the catalog, its deadline and its freshness. A stale
 * device is never up to date: silence does not read as protection.
 */
export function describeDevice(state: RegisteredDevice, catalog: ReleaseCatalog, judging: Judging): DeviceView {
  const running = planeBuild(state.memory);
  const subject = {
    profile: state.profile,
    runningBaselineBuild: planeBaselineBuild(state.memory.baselineBuild, state.profile.product, catalog),
    diskBaselineBuild: planeBaselineBuild(diskBaselineBuild(state), state.profile.product, catalog),
    retired: state.status === 'retired',
  };
  const offer = offeredHotpatch(state, catalog);
  const eligibility = offer
    ? {
        ...hotpatchEligibility(
          subject,
          { definition: offer.patch, build: buildOnVersionOf(offer.patch.builds, running), baselineBuild: catalog.baselineBuildOf(offer.patch, running) },
          offer.revoked,
        ),
        patchId: offer.patch.patchId,
      }
    : { ...deviceEligibility(subject), patchId: null };
  const plane = (p: Plane): PlaneView => {
    const resolved = catalog.resolve(state.profile.product, planeBuild(p), lastHotpatchOf(p));
    return {
      build: planeBuild(p),
      baselineBuild: planeBaselineBuild(p.baselineBuild, state.profile.product, catalog),
      release: resolved?.release.patchId ?? null,
      baselineKb: resolved?.baseline?.patchId ?? null,
      hotpatches: p.hotpatches.map((h) => h.patchId),
      cves: planeProtection(state, p, catalog),
    };
  };
  const waiting = pendingCommit(state);
  const lastSeenAt = state.lastSeenAt ?? null;
  const stale = isStale(lastSeenAt, judging);
  const servicing = assessServicing(state, catalog, judging);
  return {
    deviceId: state.deviceId,
    hostname: state.hostname,
    profile: state.profile,
    eligibility,
    servicing: { ...servicing, upToDate: servicing.upToDate && !stale },
    memory: plane(state.memory),
    disk: plane(state.disk),
    pendingCommit: waiting,
    pendingCommitSince: oldest(state.memory.hotpatches.filter((h) => waiting.includes(h.patchId)).map((h) => h.appliedAt)),
    pendingRestart: state.pendingRestart
      ? { patchId: state.pendingRestart.patchId, build: state.pendingRestart.build, stagedAt: state.pendingRestart.stagedAt }
      : null,
    pendingRemoval: state.pendingRemoval,
    retired: state.status === 'retired',
    lastSeenAt,
    stale,
    profileAtRestart: state.profileAtRestart ?? null,
  };
}

function oldest(times: string[]): string | null {
  return times.reduce<string | null>((min, time) => (min === null || Date.parse(time) < Date.parse(min) ? time : min), null);
}
