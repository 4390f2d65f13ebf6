import { StoredMessage, checkStoredVersion } from '../shared/stored-message';
import { DeviceEvent, DeviceProfileReported, DeviceRebooted, HotpatchReverted, RestartUpdateKind, UpdateStaged } from './device';

/** The schema version each device event type is written at now. Only raise one with an upcaster below. */
export const DEVICE_EVENT_SCHEMA_VERSIONS: Record<DeviceEvent['type'], number> = {
  DeviceRegistered: 1,
  // 2: changes that wait for a restart (CHPE) are carried in `atRestart`; version 1 took effect at once.
  DeviceProfileReported: 2,
  HotpatchApplied: 1,
  HotpatchRejected: 1,
  // 2: the restart update kinds became the catalog's (lcu, oob-lcu); version 1 said `cumulative` for an LCU.
  DeviceRebooted: 2,
  UpdateStaged: 2,
  // 2: `leavesMemoryAtReboot`: an uninstalled hotpatch runs until the next reboot; version 1 left memory at once.
  HotpatchReverted: 2,
  HotpatchFailed: 1,
  DeviceRetired: 1,
  DeviceCheckedIn: 1,
};

/** A version-1 restart update kind as the catalog names it now. */
function upcastKind(kind: string): RestartUpdateKind {
  return kind === 'cumulative' ? 'lcu' : (kind as RestartUpdateKind);
}

/**
 * Reads a stored device event as the current domain type: checks the type and upcasts older schema versions.
 * Throws on an unknown type or a version newer than this code knows.
 */
export function toDeviceEvent(stored: StoredMessage): DeviceEvent {
  const { type, data } = checkStoredVersion(stored, DEVICE_EVENT_SCHEMA_VERSIONS, 'device');
  const { schemaVersion } = stored;
  if (schemaVersion === 1 && type === 'UpdateStaged') {
    const staged = data as UpdateStaged['data'];
    return { type, data: { ...staged, kind: upcastKind(staged.kind) } };
  }
  if (schemaVersion === 1 && type === 'DeviceRebooted') {
    const rebooted = data as DeviceRebooted['data'];
    const activated = rebooted.activated && { ...rebooted.activated, kind: upcastKind(rebooted.activated.kind) };
    return { type, data: { ...rebooted, activated } };
  }
  // Old events keep the meaning they were recorded with: a v1 revert left memory at once, a v1 report took
  // effect at once. Reading them under the new rules would change what devices ran back then.
  if (schemaVersion === 1 && type === 'HotpatchReverted') {
    return { type, data: { ...(data as Omit<HotpatchReverted['data'], 'leavesMemoryAtReboot'>), leavesMemoryAtReboot: false } };
  }
  if (schemaVersion === 1 && type === 'DeviceProfileReported') {
    return { type, data: { ...(data as Omit<DeviceProfileReported['data'], 'atRestart'>), atRestart: {} } };
  }
  return { type, data } as DeviceEvent;
}
