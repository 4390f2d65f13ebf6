import { DeviceEvent, deviceStreamId, evolveDevice, initialDeviceState, patchIdOf } from '@patchstate/domain';
import {
  DEVICE_ID,
  FEBRUARY_2025_HOTPATCH,
  aDeviceHistory,
  aDeviceProfile,
  applyHotpatch,
  commitOnReboot,
  deviceRegistered,
  hotpatchApplied,
  registerDevice,
  reportDeviceProfile,
  reportHotpatchFailure,
  retireDevice,
  revertHotpatch,
  stageUpdate,
} from '../../../test/builders';
import { stateAfter } from './given.helper.spec';

describe('evolveDevice', () => {
  it('ignores facts about a device before its registration', () => {
    expect(evolveDevice(initialDeviceState, hotpatchApplied(FEBRUARY_2025_HOTPATCH))).toBe(initialDeviceState);
  });

  it('folds a HotpatchRejected into no change at all', () => {
    const history = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).rebooted().events;
    const rejected: DeviceEvent = {
      type: 'HotpatchRejected',
      data: { deviceId: DEVICE_ID, patchId: 'KB5053636', reasons: ['PATCH_REVOKED'], rejectedAt: '2025-03-12T09:00:00Z' },
    };
    expect(stateAfter([...history, rejected])).toEqual(stateAfter(history));
  });

  it('keeps the build when a profile report carries another one: the build changes only at reboots', () => {
    const reported: DeviceEvent = {
      type: 'DeviceProfileReported',
      data: { deviceId: DEVICE_ID, changes: { vbs: 'off' }, profile: aDeviceProfile({ vbs: 'off', build: '26100.9999' }), reportedAt: '2025-02-01T00:00:00Z', atRestart: {} },
    };
    const state = stateAfter([deviceRegistered(), reported]);
    expect(state).toMatchObject({ profile: { vbs: 'off', build: '26100.2894' } });
  });

  it('leaves the state it folds from as it was: earlier states stay valid views of the past', () => {
    const registered = stateAfter([deviceRegistered()]);
    const before = structuredClone(registered);
    const later = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).rebooted().reverted(FEBRUARY_2025_HOTPATCH).events.slice(1);
    later.reduce(evolveDevice, registered);
    expect(registered).toEqual(before);
  });
});

describe('device commands', () => {
  it('name the catalog patch the shell must load, or none', () => {
    expect(patchIdOf(applyHotpatch(FEBRUARY_2025_HOTPATCH))).toBe('KB5052093');
    expect(patchIdOf(stageUpdate('KB5055523'))).toBe('KB5055523');
    expect(patchIdOf(revertHotpatch('KB5052093'))).toBe('KB5052093');
    expect(patchIdOf(reportHotpatchFailure('KB5052093'))).toBe('KB5052093');
    for (const command of [registerDevice(), reportDeviceProfile({ vbs: 'off' }), commitOnReboot(), retireDevice()]) {
      expect(patchIdOf(command)).toBeNull();
    }
  });

  it('live in a stream named after the device', () => {
    expect(deviceStreamId(DEVICE_ID)).toBe('device-ws-0042');
  });
});
