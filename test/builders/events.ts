import {
  DeviceProfile,
  DeviceRegistered,
  DeviceRetired,
  HotpatchApplied,
  HotpatchReverted,
  PatchDefinition,
  UpdateStaged,
} from '@patchstate/domain';
import { DEVICE_ID, HOSTNAME, aDeviceProfile } from './devices';
import { baselineBuildOf, buildOf } from './patches';
import { DEFAULT_OCCURRED_AT, REGISTERED_AT } from './metadata';

/*
 * Recorded facts for the "given" part of a test. Reboots are not built here: what a reboot commits or
 * supersedes is the decider's to work out, so histories with reboots are best produced by deciding commands.
 */

interface EventOptions {
  deviceId?: string;
  at?: string;
}

export function deviceRegistered(profile: Partial<DeviceProfile> = {}, options: EventOptions & { hostname?: string } = {}): DeviceRegistered {
  return {
    type: 'DeviceRegistered',
    data: {
      deviceId: options.deviceId ?? DEVICE_ID,
      hostname: options.hostname ?? HOSTNAME,
      profile: aDeviceProfile(profile),
      registeredAt: options.at ?? REGISTERED_AT,
    },
  };
}

export function hotpatchApplied(patch: PatchDefinition, options: EventOptions = {}): HotpatchApplied {
  if (patch.kind !== 'hotpatch' && patch.kind !== 'oob-hotpatch') throw new Error(`${patch.patchId} is not a hotpatch`);
  return {
    type: 'HotpatchApplied',
    data: {
      deviceId: options.deviceId ?? DEVICE_ID,
      patchId: patch.patchId,
      build: buildOf(patch),
      baselineBuild: baselineBuildOf(patch),
      cves: patch.cves,
      appliedAt: options.at ?? DEFAULT_OCCURRED_AT,
    },
  };
}

export function updateStaged(patch: PatchDefinition, options: EventOptions & { replaces?: string | null } = {}): UpdateStaged {
  if (patch.kind === 'hotpatch' || patch.kind === 'oob-hotpatch') throw new Error(`${patch.patchId} is a hotpatch, not an update that is staged`);
  return {
    type: 'UpdateStaged',
    data: {
      deviceId: options.deviceId ?? DEVICE_ID,
      patchId: patch.patchId,
      kind: patch.kind,
      build: buildOf(patch),
      cves: patch.cves,
      stagedAt: options.at ?? DEFAULT_OCCURRED_AT,
      replaces: options.replaces ?? null,
    },
  };
}

/** A revert as the decider records it now: the hotpatch leaves memory at the next reboot (unless told otherwise, as v1 did). */
export function hotpatchReverted(
  patch: PatchDefinition | string,
  leavesDiskAtReboot: boolean,
  options: EventOptions & { leavesMemoryAtReboot?: boolean } = {},
): HotpatchReverted {
  return {
    type: 'HotpatchReverted',
    data: {
      deviceId: options.deviceId ?? DEVICE_ID,
      patchId: typeof patch === 'string' ? patch : patch.patchId,
      revertedAt: options.at ?? DEFAULT_OCCURRED_AT,
      leavesDiskAtReboot,
      leavesMemoryAtReboot: options.leavesMemoryAtReboot ?? true,
    },
  };
}

export function deviceRetired(options: EventOptions & { reason?: string | null } = {}): DeviceRetired {
  return {
    type: 'DeviceRetired',
    data: {
      deviceId: options.deviceId ?? DEVICE_ID,
      reason: options.reason === undefined ? 'decommissioned' : options.reason,
      retiredAt: options.at ?? DEFAULT_OCCURRED_AT,
    },
  };
}
