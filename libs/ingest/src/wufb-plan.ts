import {
  Build,
  DeviceCommand,
  DeviceProfile,
  DeviceProfileChange,
  PatchKind,
  compareBuilds,
  isHotpatchKind,
} from '@patchstate/domain';
import { ClientFact, UpdateFact } from './wufb-rows';

/** What the service knows of a device, as far as an import needs it to decide what a row still means. */
export type DeviceSnapshot =
  | { status: 'unregistered' }
  | {
      status: 'active' | 'retired';
      profile: DeviceProfile;
      memoryBuild: Build;
      diskBuild: Build;
      memoryHotpatches: string[];
      pendingRestart: string | null;
      /** The last time the device reported its build: its registration or last check-in. */
      lastSeenAt: string;
      /** The time of the newest update fact on the stream (applied, staged, rebooted, failed, refused). */
      lastUpdateAt: string | null;
      failure: { patchId: string; errorCode: string } | null;
    };

/** A release as it concerns one device: its kind, and its build on the device's OS version (null if none). */
export interface ReleaseForDevice {
  kind: PatchKind;
  build: Build | null;
}

/** A command without metadata: the shell adds the actor, the import as its cause, and its idempotency key. */
export type PlannedCommand = { [C in DeviceCommand as C['type']]: { type: C['type']; data: C['data']; occurredAt: string } }[DeviceCommand['type']];

export type Plan = { kind: 'send'; commands: PlannedCommand[] } | { kind: 'skip'; reason: string } | { kind: 'refuse'; reason: string };

const send = (...commands: PlannedCommand[]): Plan => ({ kind: 'send', commands });
const skip = (reason: string): Plan => ({ kind: 'skip', reason });

/**
 * The profile a UCClient row states. WUfB reports one eligibility flag, not its reasons: eligible means Windows
 * found VBS running, CHPE off (Arm64) and the device enrolled; not eligible is recorded as not enabled
 * (HOTPATCH_DISABLED), the one reason the report supports. VBS and CHPE are left as they are then.
 */
function profileOf(fact: ClientFact, base: Pick<DeviceProfile, 'vbs' | 'chpeDisabled' | 'hotpatchEnabled'>): DeviceProfile {
  const eligible = fact.hotpatchEligible;
  return {
    product: fact.product,
    edition: fact.edition,
    architecture: fact.architecture,
    build: fact.build,
    vbs: eligible === true ? 'running' : base.vbs,
    chpeDisabled: eligible === true ? true : base.chpeDisabled,
    hotpatchEnabled: eligible === null ? base.hotpatchEnabled : eligible,
  };
}

// A device first seen without the flag is not claimed able to hotpatch: nothing in the row says it is.
const REGISTRATION_BASE = { vbs: 'running', chpeDisabled: false, hotpatchEnabled: false } as const;

/** The commands one UCClient row means for the device as the service knows it. */
export function planClientRow(fact: ClientFact, device: DeviceSnapshot): Plan {
  const at = fact.seenAt;
  if (device.status === 'unregistered') {
    const profile = profileOf(fact, REGISTRATION_BASE);
    return send({ type: 'RegisterDevice', data: { deviceId: fact.deviceId, hostname: fact.hostname, profile }, occurredAt: at });
  }
  if (device.status === 'retired') return skip('the device is retired');
  if (Date.parse(at) <= Date.parse(device.lastSeenAt)) {
    return skip(`older than what the service knows: reported at ${at}, last seen at ${device.lastSeenAt}`);
  }
  const wanted = profileOf(fact, device.profile);
  const changes: DeviceProfileChange = {};
  for (const key of ['product', 'edition', 'architecture', 'vbs', 'chpeDisabled', 'hotpatchEnabled'] as const) {
    if (wanted[key] !== device.profile[key]) Object.assign(changes, { [key]: wanted[key] });
  }
  const commands: PlannedCommand[] = [];
  if (Object.keys(changes).length > 0) commands.push({ type: 'ReportDeviceProfile', data: { deviceId: fact.deviceId, changes }, occurredAt: at });
  // Every newer census is a check-in: it records when the device was last seen, and a new build moves it.
  commands.push({ type: 'CheckInDevice', data: { deviceId: fact.deviceId, build: fact.build }, occurredAt: at });
  return send(...commands);
}

/** The commands one update-status row means, given the release it names (null: not in the catalog). */
export function planUpdateRow(fact: UpdateFact, device: DeviceSnapshot, release: ReleaseForDevice | null): Plan {
  const { deviceId, kb, at } = fact;
  if (fact.phase === 'not-quality') return skip('not a quality update (UpdateCategory): its build arrives with the next census');
  if (fact.phase === 'in-progress') return skip(`${kb} is ${fact.substate || 'in progress'}: nothing installed yet`);
  if (device.status === 'unregistered') return { kind: 'refuse', reason: `device ${deviceId} is neither registered nor in the clients export` };
  if (device.status === 'retired') return skip('the device is retired');
  if (release === null) return { kind: 'refuse', reason: `${kb} is not in the release catalog: import the catalog first` };
  if (device.lastUpdateAt !== null && Date.parse(at) < Date.parse(device.lastUpdateAt)) {
    return skip(`older than what the service knows: ${fact.substate} at ${at}, last update fact at ${device.lastUpdateAt}`);
  }
  const hotpatch = isHotpatchKind(release.kind);
  if (fact.phase === 'failed') {
    if (!hotpatch) return skip(`a failed ${release.kind} changes neither plane: the device stays on what it runs`);
    if (device.failure?.patchId === kb && device.failure.errorCode === fact.errorCode) return skip(`the failure of ${kb} is already recorded`);
    return send({ type: 'ReportHotpatchFailure', data: { deviceId, patchId: kb, errorCode: fact.errorCode as string }, occurredAt: at });
  }
  if (hotpatch) {
    if (fact.phase === 'restart-required') return skip(`${kb} is a hotpatch: it needs no restart, nothing to stage`);
    if (device.memoryHotpatches.includes(kb)) return skip(`${kb} is already applied`);
    if (release.build !== null && compareBuilds(device.memoryBuild, release.build) >= 0) return skip(`the device already runs ${device.memoryBuild}`);
    return send({ type: 'ApplyHotpatch', data: { deviceId, patchId: kb }, occurredAt: at });
  }
  if (release.build !== null && compareBuilds(device.memoryBuild, release.build) >= 0) return skip(`the device already runs ${device.memoryBuild}`);
  const stage: PlannedCommand = { type: 'StageUpdate', data: { deviceId, patchId: kb }, occurredAt: at };
  const reboot: PlannedCommand = { type: 'CommitOnReboot', data: { deviceId, bootId: null }, occurredAt: at };
  if (fact.phase === 'restart-required') {
    if (device.pendingRestart === kb) return skip(`${kb} is already staged, waiting for the restart`);
    if (release.build !== null && compareBuilds(device.diskBuild, release.build) >= 0) return skip(`the disk already holds ${device.diskBuild}`);
    return send(stage);
  }
  // Installed: the device restarted into it. Staged earlier, the restart is what is news.
  return device.pendingRestart === kb ? send(reboot) : send(stage, reboot);
}
