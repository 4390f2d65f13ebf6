import { DeviceEvent, RegisteredDevice, diskAfterReboot, pendingCommit, planeBuild } from './device';

/**
 * At a reboot the disk becomes what runs. Hotpatches only in memory are written to disk, unless a staged
 * update takes over: then it becomes the running build and every hotpatch of the old baseline is superseded.
 */
export function rebootOf(state: RegisteredDevice, bootId: string | null, at: string): DeviceEvent {
  const staged = state.pendingRestart;
  const removed = [...state.pendingRemoval];
  const oldHotpatches = new Set([...state.memory.hotpatches, ...state.disk.hotpatches].map((h) => h.patchId));
  const committed = staged === null ? pendingCommit(state) : [];
  return {
    type: 'DeviceRebooted',
    data: {
      deviceId: state.deviceId,
      bootId,
      rebootedAt: at,
      committed,
      activated: staged && { patchId: staged.patchId, kind: staged.kind, build: staged.build, cves: staged.cves },
      superseded: staged === null ? [] : [...oldHotpatches].filter((id) => !removed.includes(id)),
      removed,
      build: staged?.build ?? planeBuild(diskAfterReboot(state, committed, removed)),
    },
  };
}
