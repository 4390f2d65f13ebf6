import {
  ApplyHotpatch,
  CommandMetadata,
  CommitOnReboot,
  DeviceProfile,
  DeviceProfileChange,
  PatchDefinition,
  PatchCatalogCommand,
  RegisterDevice,
  ReportDeviceProfile,
  ReportHotpatchFailure,
  RetireDevice,
  RevertHotpatch,
  StageUpdate,
} from '@patchstate/domain';
import { commandMetadata } from './metadata';
import { DEVICE_ID, HOSTNAME, aDeviceProfile } from './devices';

/** What every command builder accepts: the device, when it happened, and any other metadata. */
export interface CommandOptions {
  deviceId?: string;
  /** Shorthand for metadata.occurredAt. */
  at?: string;
  metadata?: Partial<CommandMetadata>;
}

function metadataOf(options: CommandOptions): CommandMetadata {
  return commandMetadata({ ...(options.at !== undefined ? { occurredAt: options.at } : {}), ...options.metadata });
}

function patchIdOf(patch: PatchDefinition | string): string {
  return typeof patch === 'string' ? patch : patch.patchId;
}

export function registerDevice(
  profile: Partial<DeviceProfile> = {},
  options: CommandOptions & { hostname?: string } = {},
): RegisterDevice {
  return {
    type: 'RegisterDevice',
    data: { deviceId: options.deviceId ?? DEVICE_ID, hostname: options.hostname ?? HOSTNAME, profile: aDeviceProfile(profile) },
    metadata: metadataOf(options),
  };
}

export function reportDeviceProfile(changes: DeviceProfileChange, options: CommandOptions = {}): ReportDeviceProfile {
  return { type: 'ReportDeviceProfile', data: { deviceId: options.deviceId ?? DEVICE_ID, changes }, metadata: metadataOf(options) };
}

export function applyHotpatch(patch: PatchDefinition | string, options: CommandOptions = {}): ApplyHotpatch {
  return { type: 'ApplyHotpatch', data: { deviceId: options.deviceId ?? DEVICE_ID, patchId: patchIdOf(patch) }, metadata: metadataOf(options) };
}

export function commitOnReboot(options: CommandOptions & { bootId?: string | null } = {}): CommitOnReboot {
  return {
    type: 'CommitOnReboot',
    data: { deviceId: options.deviceId ?? DEVICE_ID, bootId: options.bootId === undefined ? 'boot-0001' : options.bootId },
    metadata: metadataOf(options),
  };
}

export function stageUpdate(patch: PatchDefinition | string, options: CommandOptions = {}): StageUpdate {
  return { type: 'StageUpdate', data: { deviceId: options.deviceId ?? DEVICE_ID, patchId: patchIdOf(patch) }, metadata: metadataOf(options) };
}

export function revertHotpatch(patch: PatchDefinition | string, options: CommandOptions = {}): RevertHotpatch {
  return { type: 'RevertHotpatch', data: { deviceId: options.deviceId ?? DEVICE_ID, patchId: patchIdOf(patch) }, metadata: metadataOf(options) };
}

export function reportHotpatchFailure(
  patch: PatchDefinition | string,
  options: CommandOptions & { errorCode?: string } = {},
): ReportHotpatchFailure {
  return {
    type: 'ReportHotpatchFailure',
    data: { deviceId: options.deviceId ?? DEVICE_ID, patchId: patchIdOf(patch), errorCode: options.errorCode ?? '0x800f0922' },
    metadata: metadataOf(options),
  };
}

export function retireDevice(options: CommandOptions & { reason?: string | null } = {}): RetireDevice {
  return {
    type: 'RetireDevice',
    data: { deviceId: options.deviceId ?? DEVICE_ID, reason: options.reason === undefined ? 'decommissioned' : options.reason },
    metadata: metadataOf(options),
  };
}

export function publishPatch(definition: PatchDefinition, options: Omit<CommandOptions, 'deviceId'> = {}): PatchCatalogCommand {
  return { type: 'PublishPatch', data: definition, metadata: metadataOf(options) };
}

export function revokePatch(
  patch: PatchDefinition | string,
  options: Omit<CommandOptions, 'deviceId'> & { reason?: string } = {},
): PatchCatalogCommand {
  return {
    type: 'RevokePatch',
    data: { patchId: patchIdOf(patch), reason: options.reason ?? 'known issue: boot loop on some devices' },
    metadata: metadataOf(options),
  };
}
