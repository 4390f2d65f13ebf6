import { PatchDefinition } from '../catalog/patch';
import { Build } from '../shared/builds';
import { DeviceProfile } from './device-profile';
import { RegisteredDevice, diskBaselineBuild, pendingCommit, planeBuild, planeCves } from './device';
import { Eligibility, deviceEligibility, hotpatchEligibility } from './eligibility';

export interface PlaneView {
  build: Build;
  baselineBuild: Build;
  hotpatches: string[];
  cves: string[];
}

/** The device as operators see it: both planes with what is derived from them. */
export interface DeviceView {
  deviceId: string;
  hostname: string;
  profile: DeviceProfile;
  eligibility: Eligibility & { patchId: string | null };
  memory: PlaneView;
  disk: PlaneView;
  pendingCommit: string[];
  /** When the oldest hotpatch still waiting for a reboot was applied in memory (device time); null if none. */
  pendingCommitSince: string | null;
  /** Disk ahead of memory since `stagedAt`: what operators chase when they ask who waits for a reboot. */
  pendingRestart: { patchId: string; build: Build; stagedAt: string } | null;
  pendingRemoval: string[];
  retired: boolean;
}

/**
 * `newestHotpatch` is the newest hotpatch the catalog offers the device's baseline, if any: eligibility is
 * judged for it, or for the device in general when the catalog offers none.
 */
export function describeDevice(
  state: RegisteredDevice,
  newestHotpatch: { patch: PatchDefinition; revoked: boolean } | null,
): DeviceView {
  const subject = {
    profile: state.profile,
    runningBaselineBuild: state.memory.baselineBuild,
    diskBaselineBuild: diskBaselineBuild(state),
    retired: state.status === 'retired',
  };
  const eligibility = newestHotpatch
    ? { ...hotpatchEligibility(subject, newestHotpatch.patch, newestHotpatch.revoked), patchId: newestHotpatch.patch.patchId }
    : { ...deviceEligibility(subject), patchId: null };
  const plane = (p: RegisteredDevice['memory']): PlaneView => ({
    build: planeBuild(p),
    baselineBuild: p.baselineBuild,
    hotpatches: p.hotpatches.map((h) => h.patchId),
    cves: planeCves(p),
  });
  return {
    deviceId: state.deviceId,
    hostname: state.hostname,
    profile: state.profile,
    eligibility,
    memory: plane(state.memory),
    disk: plane(state.disk),
    pendingCommit: pendingCommit(state),
    pendingCommitSince: oldest(state.memory.hotpatches.filter((h) => pendingCommit(state).includes(h.patchId)).map((h) => h.appliedAt)),
    pendingRestart: state.pendingRestart
      ? { patchId: state.pendingRestart.patchId, build: state.pendingRestart.build, stagedAt: state.pendingRestart.stagedAt }
      : null,
    pendingRemoval: state.pendingRemoval,
    retired: state.status === 'retired',
  };
}

function oldest(times: string[]): string | null {
  return times.reduce<string | null>((min, time) => (min === null || Date.parse(time) < Date.parse(min) ? time : min), null);
}
