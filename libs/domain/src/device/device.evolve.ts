import { assertNever } from '../shared/messages';
import { DeviceEvent, DeviceState, InstalledHotpatch, Plane, diskAfterReboot } from './device';

/** Folds one recorded fact into the device's state. Never throws on history: history already happened. */
export function evolveDevice(state: DeviceState, event: DeviceEvent): DeviceState {
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
    };
  }
  if (state.status === 'unregistered') return state;

  switch (event.type) {
    case 'DeviceProfileReported':
      return { ...state, profile: { ...event.data.profile, build: state.profile.build } };
    case 'HotpatchApplied': {
      const { patchId, build, baselineBuild, cves, appliedAt } = event.data;
      const applied: InstalledHotpatch = { patchId, build, baselineBuild, cves, appliedAt };
      return {
        ...state,
        memory: { ...state.memory, hotpatches: [...state.memory.hotpatches.filter((h) => h.patchId !== patchId), applied] },
        pendingRemoval: state.pendingRemoval.filter((id) => id !== patchId),
      };
    }
    case 'HotpatchRejected':
    case 'HotpatchFailed':
      return state;
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
          ...state,
          profile: { ...state.profile, build: activated.build },
          memory: plane,
          disk: plane,
          pendingRestart: null,
          pendingRemoval: [],
        };
      }
      const disk = diskAfterReboot(state, committed, removed);
      return { ...state, memory: disk, disk, pendingRemoval: [] };
    }
    case 'UpdateStaged': {
      const { patchId, kind, build, cves, stagedAt } = event.data;
      return { ...state, pendingRestart: { patchId, kind, build, cves, stagedAt } };
    }
    case 'HotpatchReverted': {
      const { patchId, leavesDiskAtReboot } = event.data;
      return {
        ...state,
        memory: { ...state.memory, hotpatches: state.memory.hotpatches.filter((h) => h.patchId !== patchId) },
        pendingRemoval: leavesDiskAtReboot ? [...new Set([...state.pendingRemoval, patchId])] : state.pendingRemoval,
      };
    }
    case 'DeviceRetired':
      return { ...state, status: 'retired', retiredAt: event.data.retiredAt };
    default:
      return assertNever(event);
  }
}

export function foldDevice(events: readonly DeviceEvent[], from: DeviceState): DeviceState {
  return events.reduce(evolveDevice, from);
}
