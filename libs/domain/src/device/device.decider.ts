import { compareBuilds } from '../shared/builds';
import { DomainError } from '../shared/domain-error';
import { assertNever } from '../shared/messages';
import { PatchDefinition, PatchState } from '../catalog/patch';
import {
  DeviceCommand,
  DeviceEvent,
  DeviceState,
  RegisteredDevice,
  diskAfterReboot,
  diskBaselineBuild,
  pendingCommit,
  planeBuild,
} from './device';
import { hotpatchEligibility } from './eligibility';

/**
 * Decides what a command about a device means, given the device's history folded into state and, for
 * commands that name a patch, that patch's catalog state. Pure: no clock, no ids, no I/O.
 */
export function decideDevice(command: DeviceCommand, state: DeviceState, patch: PatchState | null): DeviceEvent[] {
  const at = command.metadata.occurredAt;
  const { deviceId } = command.data;

  if (command.type === 'RegisterDevice') {
    if (state.status !== 'unregistered') {
      throw new DomainError('DEVICE_EXISTS', `device ${deviceId} is already registered`, { deviceId });
    }
    const { hostname, profile } = command.data;
    return [{ type: 'DeviceRegistered', data: { deviceId, hostname, profile, registeredAt: at } }];
  }
  if (state.status === 'unregistered') {
    throw new DomainError('DEVICE_NOT_FOUND', `device ${deviceId} is not registered`, { deviceId });
  }
  // A retired device still records hotpatch attempts, as rejections, so an auditor sees who tried.
  if (state.status === 'retired' && command.type !== 'ApplyHotpatch') {
    throw new DomainError('DEVICE_RETIRED', `device ${deviceId} was retired at ${state.retiredAt}`, { deviceId });
  }

  switch (command.type) {
    case 'ReportDeviceProfile': {
      const profile = { ...state.profile, ...command.data.changes };
      return [{ type: 'DeviceProfileReported', data: { deviceId, changes: command.data.changes, profile, reportedAt: at } }];
    }
    case 'ApplyHotpatch': {
      const definition = requirePatchOfKind(patch, command.data.patchId, ['hotpatch']);
      // A retired device's attempt is recorded as refused whatever it runs: the retirement is the news.
      if (state.status === 'active' && state.memory.hotpatches.some((h) => h.patchId === definition.patchId)) {
        throw new DomainError('ALREADY_APPLIED', `${definition.patchId} is already applied in memory on ${deviceId}`, {
          deviceId,
          patchId: definition.patchId,
        });
      }
      const eligibility = hotpatchEligibility(
        {
          profile: state.profile,
          runningBaselineBuild: state.memory.baselineBuild,
          diskBaselineBuild: diskBaselineBuild(state),
          retired: state.status === 'retired',
        },
        definition,
        patch?.status === 'revoked',
      );
      if (!eligibility.eligible) {
        return [
          {
            type: 'HotpatchRejected',
            data: { deviceId, patchId: definition.patchId, reasons: eligibility.reasons, rejectedAt: at },
          },
        ];
      }
      return [
        {
          type: 'HotpatchApplied',
          data: {
            deviceId,
            patchId: definition.patchId,
            build: definition.build,
            baselineBuild: definition.baselineBuild ?? state.memory.baselineBuild,
            cves: definition.cves,
            appliedAt: at,
          },
        },
      ];
    }
    case 'CommitOnReboot':
      return [rebootOf(state, command.data.bootId, at)];
    case 'StageUpdate': {
      const definition = requirePatchOfKind(patch, command.data.patchId, ['baseline', 'cumulative']);
      if (patch?.status === 'revoked') {
        throw new DomainError('PATCH_REVOKED', `${definition.patchId} was revoked and cannot be staged`, {
          patchId: definition.patchId,
        });
      }
      if (!definition.architectures.includes(state.profile.architecture)) {
        throw new DomainError('NOT_ELIGIBLE', `${definition.patchId} is not built for ${state.profile.architecture}`, {
          reasons: ['ARCHITECTURE_NOT_SUPPORTED'],
        });
      }
      const newest = state.pendingRestart?.build ?? state.disk.baselineBuild;
      if (compareBuilds(definition.build, newest) <= 0) {
        throw new DomainError(
          'UPDATE_NOT_NEWER',
          `${definition.patchId} (build ${definition.build}) is not newer than ${newest}, which ${deviceId} already has on disk`,
          { deviceId, patchId: definition.patchId, build: definition.build, diskBuild: newest },
        );
      }
      return [
        {
          type: 'UpdateStaged',
          data: {
            deviceId,
            patchId: definition.patchId,
            kind: definition.kind as 'baseline' | 'cumulative',
            build: definition.build,
            cves: definition.cves,
            stagedAt: at,
            replaces: state.pendingRestart?.patchId ?? null,
          },
        },
      ];
    }
    case 'RevertHotpatch': {
      const { patchId } = command.data;
      const inMemory = state.memory.hotpatches.some((h) => h.patchId === patchId);
      const onDisk = state.disk.hotpatches.some((h) => h.patchId === patchId) && !state.pendingRemoval.includes(patchId);
      if (!inMemory && !onDisk) {
        throw new DomainError('HOTPATCH_NOT_INSTALLED', `${patchId} is neither in memory nor on disk on ${deviceId}`, {
          deviceId,
          patchId,
        });
      }
      return [{ type: 'HotpatchReverted', data: { deviceId, patchId, revertedAt: at, leavesDiskAtReboot: onDisk } }];
    }
    case 'ReportHotpatchFailure': {
      const definition = requirePatchOfKind(patch, command.data.patchId, ['hotpatch']);
      return [
        {
          type: 'HotpatchFailed',
          data: { deviceId, patchId: definition.patchId, errorCode: command.data.errorCode, failedAt: at },
        },
      ];
    }
    case 'RetireDevice':
      return [{ type: 'DeviceRetired', data: { deviceId, reason: command.data.reason, retiredAt: at } }];
    default:
      return assertNever(command);
  }
}

function requirePatchOfKind(patch: PatchState | null, patchId: string, kinds: PatchDefinition['kind'][]): PatchDefinition {
  if (patch === null || patch.status === 'unpublished') {
    throw new DomainError('PATCH_NOT_FOUND', `patch ${patchId} is not in the catalog`, { patchId });
  }
  if (!kinds.includes(patch.patch.kind)) {
    throw new DomainError('WRONG_PATCH_KIND', `${patchId} is a ${patch.patch.kind}, expected ${kinds.join(' or ')}`, {
      patchId,
      kind: patch.patch.kind,
      expected: kinds,
    });
  }
  return patch.patch;
}

/**
 * At a reboot the disk becomes what runs. Hotpatches only in memory are written to disk, unless a staged
 * update takes over: then it becomes the running build and every hotpatch of the old baseline is superseded.
 */
function rebootOf(state: RegisteredDevice, bootId: string | null, at: string): DeviceEvent {
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
