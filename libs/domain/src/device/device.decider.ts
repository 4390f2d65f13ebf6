import { Build, compareBuilds } from '../shared/builds';
import { DomainError } from '../shared/domain-error';
import { assertNever } from '../shared/messages';
import { CUMULATIVE_KINDS, HOTPATCH_KINDS, PatchDefinition, PatchKind, PatchState } from '../catalog/patch';
import { buildOnVersionOf, osVersionOf } from '../catalog/os-version';
import { ReleaseCatalog } from '../catalog/release-catalog';
import {
  ApplyHotpatch,
  CheckInDevice,
  DeviceCommand,
  DeviceEvent,
  DeviceState,
  RegisterDevice,
  RegisteredDevice,
  RestartUpdateKind,
  StageUpdate,
  RevertHotpatch,
  ReportHotpatchFailure,
  planeBuild,
} from './device';
import { hotpatchEligibility } from './eligibility';
import { planeBaselineBuild } from './plane-baseline';
import { profileReported } from './profile-report';
import { rebootOf } from './reboot';
import { upgradedOutsideBaseline } from './servicing-path';

/**
 * Decides what a command about a device means, given the device's history folded into state, for commands
 * that name a release that release's catalog state, and the release catalog (to resolve builds to releases
 * and baselines). Pure: no clock, no ids, no I/O. One small function per command.
 */
export function decideDevice(
  command: DeviceCommand,
  state: DeviceState,
  patch: PatchState | null,
  catalog: ReleaseCatalog = ReleaseCatalog.empty(),
): DeviceEvent[] {
  if (command.type === 'RegisterDevice') return register(command, state);
  const { deviceId } = command.data;
  if (state.status === 'unregistered') {
    throw new DomainError('DEVICE_NOT_FOUND', `device ${deviceId} is not registered`, { deviceId });
  }
  // A retired device still records hotpatch attempts, as rejections, so an auditor sees who tried.
  if (state.status === 'retired' && command.type !== 'ApplyHotpatch') {
    throw new DomainError('DEVICE_RETIRED', `device ${deviceId} was retired at ${state.retiredAt}`, { deviceId });
  }
  const at = command.metadata.occurredAt;
  switch (command.type) {
    case 'ReportDeviceProfile':
      return [profileReported(state, command.data.changes, at)];
    case 'ApplyHotpatch':
      return applyHotpatch(command, state, patch, catalog);
    case 'CommitOnReboot':
      return [rebootOf(state, command.data.bootId, at)];
    case 'StageUpdate':
      return stageUpdate(command, state, patch);
    case 'RevertHotpatch':
      return revertHotpatch(command, state);
    case 'ReportHotpatchFailure':
      return reportFailure(command, patch);
    case 'RetireDevice':
      return [{ type: 'DeviceRetired', data: { deviceId, reason: command.data.reason, retiredAt: at } }];
    case 'CheckInDevice':
      return checkIn(command, state);
    default:
      return assertNever(command);
  }
}

function register(command: RegisterDevice, state: DeviceState): DeviceEvent[] {
  const { deviceId, hostname, profile } = command.data;
  if (state.status !== 'unregistered') {
    throw new DomainError('DEVICE_EXISTS', `device ${deviceId} is already registered`, { deviceId });
  }
  return [{ type: 'DeviceRegistered', data: { deviceId, hostname, profile, registeredAt: command.metadata.occurredAt } }];
}

function applyHotpatch(command: ApplyHotpatch, state: RegisteredDevice, patch: PatchState | null, catalog: ReleaseCatalog): DeviceEvent[] {
  const { deviceId } = command.data;
  const at = command.metadata.occurredAt;
  const definition = requirePatchOfKind(patch, command.data.patchId, HOTPATCH_KINDS);
  // A retired device's attempt is recorded as refused whatever it runs: the retirement is the news.
  // A reverted hotpatch still running until its reboot may be applied again: that cancels the removal.
  const running = (id: string) => state.memory.hotpatches.some((h) => h.patchId === id) && !state.pendingRemoval.includes(id);
  if (state.status === 'active' && running(definition.patchId)) {
    throw new DomainError('ALREADY_APPLIED', `${definition.patchId} is already applied in memory on ${deviceId}`, {
      deviceId,
      patchId: definition.patchId,
    });
  }
  const runningBuild = planeBuild(state.memory);
  const runningRelease = catalog.resolve(state.profile.product, state.memory.baselineBuild);
  const eligibility = hotpatchEligibility(
    {
      profile: state.profile,
      runningBaselineBuild: planeBaselineBuild(state.memory.baselineBuild, state.profile.product, catalog),
      diskBaselineBuild: planeBaselineBuild(state.pendingRestart?.build ?? state.disk.baselineBuild, state.profile.product, catalog),
      retired: state.status === 'retired',
      buildKnown: runningRelease !== null,
      osUpgradedSinceBaseline: upgradedOutsideBaseline(runningRelease?.baseline ?? null, state.osUpgradedAt),
    },
    { definition, baselineBuild: catalog.baselineBuildOf(definition, runningBuild), build: buildOnVersionOf(definition.builds, runningBuild) },
    patch?.status === 'revoked',
  );
  if (!eligibility.eligible) {
    return [{ type: 'HotpatchRejected', data: { deviceId, patchId: definition.patchId, reasons: eligibility.reasons, rejectedAt: at } }];
  }
  return [
    {
      type: 'HotpatchApplied',
      data: {
        deviceId,
        patchId: definition.patchId,
        build: buildOnVersionOf(definition.builds, runningBuild) as Build,
        baselineBuild: catalog.baselineBuildOf(definition, runningBuild) as Build,
        cves: definition.cves,
        appliedAt: at,
      },
    },
  ];
}

function stageUpdate(command: StageUpdate, state: RegisteredDevice, patch: PatchState | null): DeviceEvent[] {
  const { deviceId } = command.data;
  const definition = requirePatchOfKind(patch, command.data.patchId, CUMULATIVE_KINDS);
  if (patch?.status === 'revoked') {
    throw new DomainError('PATCH_REVOKED', `${definition.patchId} was revoked and cannot be staged`, { patchId: definition.patchId });
  }
  if (!definition.architectures.includes(state.profile.architecture)) {
    throw new DomainError('NOT_ELIGIBLE', `${definition.patchId} is not built for ${state.profile.architecture}`, {
      reasons: ['ARCHITECTURE_NOT_SUPPORTED'],
    });
  }
  const build = buildOnVersionOf(definition.builds, planeBuild(state.disk));
  if (build === null || !definition.products.includes(state.profile.product)) {
    throw new DomainError(
      'RELEASE_NOT_FOR_DEVICE',
      `${definition.patchId} has no build for ${state.profile.product} ${osVersionOf(planeBuild(state.disk)) ?? planeBuild(state.disk)}`,
      { deviceId, patchId: definition.patchId, builds: definition.builds, products: definition.products },
    );
  }
  const newest = state.pendingRestart?.build ?? state.disk.baselineBuild;
  if (compareBuilds(build, newest) <= 0) {
    throw new DomainError(
      'UPDATE_NOT_NEWER',
      `${definition.patchId} (build ${build}) is not newer than ${newest}, which ${deviceId} already has on disk`,
      { deviceId, patchId: definition.patchId, build, diskBuild: newest },
    );
  }
  return [
    {
      type: 'UpdateStaged',
      data: {
        deviceId,
        patchId: definition.patchId,
        kind: definition.kind as RestartUpdateKind,
        build,
        cves: definition.cves,
        stagedAt: command.metadata.occurredAt,
        replaces: state.pendingRestart?.patchId ?? null,
      },
    },
  ];
}

function revertHotpatch(command: RevertHotpatch, state: RegisteredDevice): DeviceEvent[] {
  const { deviceId, patchId } = command.data;
  const removing = state.pendingRemoval.includes(patchId);
  const inMemory = state.memory.hotpatches.some((h) => h.patchId === patchId) && !removing;
  const onDisk = state.disk.hotpatches.some((h) => h.patchId === patchId) && !removing;
  if (!inMemory && !onDisk) {
    throw new DomainError('HOTPATCH_NOT_INSTALLED', `${patchId} is neither in memory nor on disk on ${deviceId}`, { deviceId, patchId });
  }
  // Windows uninstalls a hotpatch at the next restart: until then it keeps running, so protection holds.
  return [
    {
      type: 'HotpatchReverted',
      data: { deviceId, patchId, revertedAt: command.metadata.occurredAt, leavesDiskAtReboot: onDisk, leavesMemoryAtReboot: inMemory },
    },
  ];
}

function reportFailure(command: ReportHotpatchFailure, patch: PatchState | null): DeviceEvent[] {
  const definition = requirePatchOfKind(patch, command.data.patchId, HOTPATCH_KINDS);
  const { deviceId, errorCode } = command.data;
  return [{ type: 'HotpatchFailed', data: { deviceId, patchId: definition.patchId, errorCode, failedAt: command.metadata.occurredAt } }];
}

/** A check-in older than the last one is refused: it must not move the device back in time. */
function checkIn(command: CheckInDevice, state: RegisteredDevice): DeviceEvent[] {
  const { deviceId, build } = command.data;
  const at = command.metadata.occurredAt;
  const lastSeenAt = state.lastSeenAt ?? null;
  if (lastSeenAt !== null && Date.parse(at) < Date.parse(lastSeenAt)) {
    throw new DomainError('STALE_CHECK_IN', `${deviceId} already checked in at ${lastSeenAt}, after ${at}`, { deviceId, lastSeenAt });
  }
  const previousBuild = planeBuild(state.memory);
  const osUpgraded = osVersionOf(build) !== osVersionOf(previousBuild) && compareBuilds(build, previousBuild) > 0;
  return [{ type: 'DeviceCheckedIn', data: { deviceId, build, previousBuild, osUpgraded, checkedInAt: at } }];
}

function requirePatchOfKind(patch: PatchState | null, patchId: string, kinds: readonly PatchKind[]): PatchDefinition {
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
