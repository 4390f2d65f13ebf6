import { Build, highestBuild } from '../shared/builds';
import { Command, Event } from '../shared/messages';
import { PatchKind } from '../catalog/patch';
import { DeviceProfile, DeviceProfileChange } from './device-profile';
import { IneligibilityReason } from './eligibility';

export interface InstalledHotpatch {
  patchId: string;
  build: Build;
  baselineBuild: Build;
  cves: string[];
  appliedAt: string;
}

/** One of the device's two planes: what runs in memory, or what is written on disk. */
export interface Plane {
  baselineBuild: Build;
  /** The catalog patch that brought the baseline, when the service saw it arrive. */
  baselinePatchId: string | null;
  baselineCves: string[];
  hotpatches: InstalledHotpatch[];
}

/** The kinds of release a device installs on disk, to take effect at the next restart. */
export type RestartUpdateKind = Extract<PatchKind, 'baseline' | 'lcu' | 'oob-lcu'>;

export interface StagedUpdate {
  patchId: string;
  kind: RestartUpdateKind;
  build: Build;
  cves: string[];
  stagedAt: string;
}

export type DeviceState =
  | { status: 'unregistered' }
  | {
      status: 'active' | 'retired';
      deviceId: string;
      hostname: string;
      profile: DeviceProfile;
      memory: Plane;
      disk: Plane;
      /** Disk ahead of memory: an update that becomes the running build at the next reboot. */
      pendingRestart: StagedUpdate | null;
      /**
       * Reverted hotpatches waiting for the next reboot to leave the device. Windows keeps an uninstalled
       * hotpatch running in memory (and on disk, if committed) until then; reverts recorded before that rule
       * (HotpatchReverted v1) left memory at once and wait only to leave the disk.
       */
      pendingRemoval: string[];
      retiredAt: string | null;
      /** When the device last reported a new OS version (24H2 to 25H2, say): off the hotpatch train until a newer baseline. */
      osUpgradedAt?: string | null;
      /** The last hotpatch failure since a hotpatch last applied: the device falls back to the LCU until its next baseline. */
      hotpatchFailure?: { patchId: string; errorCode: string; failedAt: string } | null;
      /** The newest time the device itself reported anything (registration, check-in, apply, reboot, ...). */
      lastSeenAt?: string | null;
      /** Reported profile changes that take effect at the next restart (CHPE on Arm64 is a registry setting). */
      profileAtRestart?: DeviceProfileChange | null;
    };

export type RegisteredDevice = Exclude<DeviceState, { status: 'unregistered' }>;

export const initialDeviceState: DeviceState = { status: 'unregistered' };

export function deviceStreamId(deviceId: string): string {
  return `device-${deviceId}`;
}

// Commands ---------------------------------------------------------------------------------------------

export type RegisterDevice = Command<'RegisterDevice', { deviceId: string; hostname: string; profile: DeviceProfile }>;
export type ReportDeviceProfile = Command<'ReportDeviceProfile', { deviceId: string; changes: DeviceProfileChange }>;
export type ApplyHotpatch = Command<'ApplyHotpatch', { deviceId: string; patchId: string }>;
export type CommitOnReboot = Command<'CommitOnReboot', { deviceId: string; bootId: string | null }>;
export type StageUpdate = Command<'StageUpdate', { deviceId: string; patchId: string }>;
export type RevertHotpatch = Command<'RevertHotpatch', { deviceId: string; patchId: string }>;
export type ReportHotpatchFailure = Command<'ReportHotpatchFailure', { deviceId: string; patchId: string; errorCode: string }>;
export type RetireDevice = Command<'RetireDevice', { deviceId: string; reason: string | null }>;
/** The device's agent reports the build it runs (what `winver` shows), at the command's occurredAt. */
export type CheckInDevice = Command<'CheckInDevice', { deviceId: string; build: Build }>;

export type DeviceCommand =
  | RegisterDevice
  | ReportDeviceProfile
  | ApplyHotpatch
  | CommitOnReboot
  | StageUpdate
  | RevertHotpatch
  | ReportHotpatchFailure
  | RetireDevice
  | CheckInDevice;

/** Commands that name a catalog patch: the shell loads that patch's stream before deciding. */
export function patchIdOf(command: DeviceCommand): string | null {
  switch (command.type) {
    case 'ApplyHotpatch':
    case 'StageUpdate':
    case 'RevertHotpatch':
    case 'ReportHotpatchFailure':
      return command.data.patchId;
    case 'RegisterDevice':
    case 'ReportDeviceProfile':
    case 'CommitOnReboot':
    case 'RetireDevice':
    case 'CheckInDevice':
      return null;
    default:
      return assertNeverCommand(command);
  }
}

function assertNeverCommand(command: never): never {
  throw new Error(`unhandled command ${JSON.stringify(command)}`);
}

// Events -----------------------------------------------------------------------------------------------

export type DeviceRegistered = Event<
  'DeviceRegistered',
  { deviceId: string; hostname: string; profile: DeviceProfile; registeredAt: string }
>;
export type DeviceProfileReported = Event<
  'DeviceProfileReported',
  {
    deviceId: string;
    changes: DeviceProfileChange;
    /** The profile in effect now: the changes that take effect at once applied. */
    profile: DeviceProfile;
    reportedAt: string;
    /** Every reported change still waiting for the next restart (v2; a v1 report took effect at once: {}). */
    atRestart: DeviceProfileChange;
  }
>;
export type HotpatchApplied = Event<
  'HotpatchApplied',
  { deviceId: string; patchId: string; build: Build; baselineBuild: Build; cves: string[]; appliedAt: string }
>;
/** A refusal auditors must see: it changes no state. */
export type HotpatchRejected = Event<
  'HotpatchRejected',
  { deviceId: string; patchId: string; reasons: IneligibilityReason[]; rejectedAt: string }
>;
export type DeviceRebooted = Event<
  'DeviceRebooted',
  {
    deviceId: string;
    bootId: string | null;
    rebootedAt: string;
    /** Hotpatches that were only in memory and are now written to disk. */
    committed: string[];
    /** The staged update that became the running build, if any. */
    activated: { patchId: string; kind: StagedUpdate['kind']; build: Build; cves: string[] } | null;
    /** Hotpatches of the previous baseline that the activated update replaced. */
    superseded: string[];
    /** Reverted hotpatches that left the disk with this reboot. */
    removed: string[];
    /** The build running after the reboot. */
    build: Build;
  }
>;
export type UpdateStaged = Event<
  'UpdateStaged',
  {
    deviceId: string;
    patchId: string;
    kind: StagedUpdate['kind'];
    build: Build;
    cves: string[];
    stagedAt: string;
    /** A previously staged update that this one replaces before any restart. */
    replaces: string | null;
  }
>;
export type HotpatchReverted = Event<
  'HotpatchReverted',
  {
    deviceId: string;
    patchId: string;
    revertedAt: string;
    leavesDiskAtReboot: boolean;
    /** v2: it keeps running in memory until the next reboot, as Windows does; v1 reverts left memory at once (false). */
    leavesMemoryAtReboot: boolean;
  }
>;
export type HotpatchFailed = Event<
  'HotpatchFailed',
  { deviceId: string; patchId: string; errorCode: string; failedAt: string }
>;
export type DeviceRetired = Event<'DeviceRetired', { deviceId: string; reason: string | null; retiredAt: string }>;
/**
 * The device reported the build it runs. A new build means it moved (a reboot into an update, or an OS
 * upgrade): both planes run it now. `osUpgraded`: the build is on another OS version than before.
 */
export type DeviceCheckedIn = Event<
  'DeviceCheckedIn',
  { deviceId: string; build: Build; previousBuild: Build; osUpgraded: boolean; checkedInAt: string }
>;

export type DeviceEvent =
  | DeviceRegistered
  | DeviceProfileReported
  | HotpatchApplied
  | HotpatchRejected
  | DeviceRebooted
  | UpdateStaged
  | HotpatchReverted
  | HotpatchFailed
  | DeviceRetired
  | DeviceCheckedIn;

export const DEVICE_EVENT_TYPES: readonly DeviceEvent['type'][] = [
  'DeviceRegistered',
  'DeviceProfileReported',
  'HotpatchApplied',
  'HotpatchRejected',
  'DeviceRebooted',
  'UpdateStaged',
  'HotpatchReverted',
  'HotpatchFailed',
  'DeviceRetired',
  'DeviceCheckedIn',
];

// Derived views of the two planes -----------------------------------------------------------------------

/** The effective build of a plane: the highest of its baseline and the hotpatches on it. */
export function planeBuild(plane: Plane): Build {
  return highestBuild([plane.baselineBuild, ...plane.hotpatches.map((h) => h.build)]) ?? plane.baselineBuild;
}

/** The hotpatch the service saw applied last on the plane: what its build is, when the build is shared. */
export function lastHotpatchOf(plane: Plane): string | null {
  return plane.hotpatches[plane.hotpatches.length - 1]?.patchId ?? null;
}

export function planeCves(plane: Plane): string[] {
  return [...new Set([...plane.baselineCves, ...plane.hotpatches.flatMap((h) => h.cves)])].sort();
}

/** Hotpatches running in memory that the next reboot writes to disk: memory ahead of disk (a reverted one is not written). */
export function pendingCommit(state: RegisteredDevice): string[] {
  const skipped = new Set([...state.disk.hotpatches.map((h) => h.patchId), ...state.pendingRemoval]);
  return state.memory.hotpatches.filter((h) => !skipped.has(h.patchId)).map((h) => h.patchId);
}

/** The baseline the disk will boot into next: the staged one when a restart is pending. */
export function diskBaselineBuild(state: RegisteredDevice): Build {
  return state.pendingRestart?.build ?? state.disk.baselineBuild;
}

/** The disk after a reboot without a staged update: reverted hotpatches leave it, pending ones are written. */
export function diskAfterReboot(state: RegisteredDevice, committed: readonly string[], removed: readonly string[]): Plane {
  return {
    ...state.disk,
    hotpatches: [
      ...state.disk.hotpatches.filter((h) => !removed.includes(h.patchId)),
      ...state.memory.hotpatches.filter((h) => committed.includes(h.patchId)),
    ],
  };
}
