import { assertNever } from '../shared/messages';
import { compareBuilds } from '../shared/builds';
import { laterOf, reportedAt } from './compliance';
import { DeviceCheckedIn, DeviceEvent, DeviceState, InstalledHotpatch, Plane, RegisteredDevice, diskAfterReboot, planeBuild } from './device';

/** Folds one recorded fact into the device's state. Never throws on history: history already happened. */
export function evolveDevice(state: DeviceState, event: DeviceEvent): DeviceState {
  const next = evolveFacts(state, event);
  if (next.status === 'unregistered') return next;
  // Whatever the device reported itself says it was alive then (freshness), whichever command carried it.
  const seenAt = reportedAt(event);
  return seenAt === null ? next : { ...next, lastSeenAt: laterOf(next.lastSeenAt, seenAt) };
}

function evolveFacts(state: DeviceState, event: DeviceEvent): DeviceState {
  if (event.type === 'DeviceRegistered') {
    const { deviceId, hostname, profile } = event.data;
    const plane: Plane = { baselineBuild: profile.build, baselinePatchId: null, baselineCves: [], hotpatches: [] };
    return {
      status: 'active',
      deviceId,
      hostname,
      profile,
      memory: plane,
      disk: plane,
      pendingRestart: null,
      pendingRemoval: [],
      retiredAt: null,
      osUpgradedAt: null,
      hotpatchFailure: null,
      lastSeenAt: null,
      profileAtRestart: null,
    };
  }
  if (state.status === 'unregistered') return state;

  switch (event.type) {
    case 'DeviceProfileReported': {
      const { profile, atRestart } = event.data;
      return { ...state, profile: { ...profile, build: state.profile.build }, profileAtRestart: Object.keys(atRestart).length > 0 ? atRestart : null };
    }
    case 'HotpatchApplied': {
      const { patchId, build, baselineBuild, cves, appliedAt } = event.data;
      const applied: InstalledHotpatch = { patchId, build, baselineBuild, cves, appliedAt };
      return {
        ...state,
        memory: { ...state.memory, hotpatches: [...state.memory.hotpatches.filter((h) => h.patchId !== patchId), applied] },
        pendingRemoval: state.pendingRemoval.filter((id) => id !== patchId),
        hotpatchFailure: null,
      };
    }
    case 'HotpatchRejected':
      return state;
    case 'HotpatchFailed': {
      const { patchId, errorCode, failedAt } = event.data;
      return { ...state, hotpatchFailure: { patchId, errorCode, failedAt } };
    }
    case 'DeviceCheckedIn':
      return checkedIn(state, event.data);
    case 'DeviceRebooted': {
      const { activated, committed, removed } = event.data;
      if (activated !== null) {
        const plane: Plane = {
          baselineBuild: activated.build,
          baselinePatchId: activated.patchId,
          baselineCves: activated.cves,
          hotpatches: [],
        };
        return {
          ...restarted(state),
          profile: { ...restarted(state).profile, build: activated.build },
          memory: plane,
          disk: plane,
          pendingRestart: null,
          pendingRemoval: [],
        };
      }
      // Memory becomes the disk: reverted hotpatches leave both planes, pending ones run from disk.
      const disk = diskAfterReboot(state, committed, removed);
      return { ...restarted(state), memory: disk, disk, pendingRemoval: [] };
    }
    case 'UpdateStaged': {
      const { patchId, kind, build, cves, stagedAt } = event.data;
      return { ...state, pendingRestart: { patchId, kind, build, cves, stagedAt } };
    }
    case 'HotpatchReverted': {
      const { patchId, leavesDiskAtReboot, leavesMemoryAtReboot } = event.data;
      // v2: the uninstalled code keeps running until the reboot (Windows); v1: it left memory at once.
      const memory = leavesMemoryAtReboot ? state.memory : { ...state.memory, hotpatches: state.memory.hotpatches.filter((h) => h.patchId !== patchId) };
      const waits = leavesDiskAtReboot || leavesMemoryAtReboot;
      return { ...state, memory, pendingRemoval: waits ? [...new Set([...state.pendingRemoval, patchId])] : state.pendingRemoval };
    }
    case 'DeviceRetired':
      return { ...state, status: 'retired', retiredAt: event.data.retiredAt };
    default:
      return assertNever(event);
  }
}

/**
 * A new build reported means the device runs it in both planes now; the build it runs in memory only says it
 * was seen (a hotpatch waiting for its reboot stays in memory only, a reverted one on disk until then).
 */
function checkedIn(state: RegisteredDevice, data: DeviceCheckedIn['data']): RegisteredDevice {
  const seen = { ...state, lastSeenAt: data.checkedInAt };
  if (data.build === planeBuild(state.memory)) return seen;
  const plane: Plane = { baselineBuild: data.build, baselinePatchId: null, baselineCves: [], hotpatches: [] };
  const staged = state.pendingRestart;
  // A new build means the device restarted: what waited for a restart took effect.
  return {
    ...restarted(seen),
    profile: { ...restarted(seen).profile, build: data.build },
    memory: plane,
    disk: plane,
    // The staged update took effect if the device now runs it or anything newer.
    pendingRestart: staged !== null && compareBuilds(data.build, staged.build) < 0 ? staged : null,
    pendingRemoval: [],
    osUpgradedAt: data.osUpgraded ? data.checkedInAt : (state.osUpgradedAt ?? null),
  };
}

/** Profile changes that waited for a restart take effect. */
function restarted(state: RegisteredDevice): RegisteredDevice {
  const waiting = state.profileAtRestart ?? null;
  return waiting === null ? state : { ...state, profile: { ...state.profile, ...waiting }, profileAtRestart: null };
}

export function foldDevice(events: readonly DeviceEvent[], from: DeviceState): DeviceState {
  return events.reduce(evolveDevice, from);
}
