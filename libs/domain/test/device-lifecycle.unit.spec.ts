import { DeviceCommand } from '@patchstate/domain';
import {
  DEVICE_ID,
  FEBRUARY_2025_HOTPATCH,
  HOSTNAME,
  APRIL_2025_BASELINE,
  aDeviceHistory,
  aDeviceProfile,
  applyHotpatch,
  commitOnReboot,
  deviceRegistered,
  deviceRetired,
  patchState,
  registerDevice,
  reportDeviceProfile,
  reportHotpatchFailure,
  retireDevice,
  revertHotpatch,
  stageUpdate,
} from '../../../test/builders';
import { given, registeredStateAfter } from './given.helper.spec';

const AT = '2025-02-12T09:30:00Z';

describe('RegisterDevice', () => {
  it('records the device with its hostname, reported profile and the time it occurred', () => {
    given([])
      .when(registerDevice({}, { at: AT }))
      .then([{ type: 'DeviceRegistered', data: { deviceId: DEVICE_ID, hostname: HOSTNAME, profile: aDeviceProfile(), registeredAt: AT } }]);
  });

  it('starts both planes on the reported build, with nothing pending', () => {
    const state = registeredStateAfter([deviceRegistered()]);
    expect(state.memory).toEqual({ baselineBuild: '26100.2894', baselinePatchId: null, baselineCves: [], hotpatches: [] });
    expect(state.disk).toEqual(state.memory);
    expect(state.pendingRestart).toBeNull();
    expect(state.pendingRemoval).toEqual([]);
    expect(state.status).toBe('active');
  });

  it('refuses a device id that is already registered (DEVICE_EXISTS)', () => {
    given([deviceRegistered()]).when(registerDevice()).thenThrows('DEVICE_EXISTS');
  });

  it('refuses a retired device id too: the id stays taken (DEVICE_EXISTS)', () => {
    given([deviceRegistered(), deviceRetired()]).when(registerDevice()).thenThrows('DEVICE_EXISTS');
  });
});

describe('ReportDeviceProfile', () => {
  it('records the changes and the whole profile they produce', () => {
    given([deviceRegistered({ vbs: 'enabled' })])
      .when(reportDeviceProfile({ vbs: 'running' }, { at: AT }))
      .then([
        {
          type: 'DeviceProfileReported',
          data: { deviceId: DEVICE_ID, changes: { vbs: 'running' }, profile: aDeviceProfile({ vbs: 'running' }), reportedAt: AT, atRestart: {} },
        },
      ]);
  });

  it('makes a device eligible once the missing prerequisite is reported fixed', () => {
    const history = aDeviceHistory().registered({ vbs: 'enabled' });
    given(history.events).when(applyHotpatch(FEBRUARY_2025_HOTPATCH), patchState(FEBRUARY_2025_HOTPATCH)).thenRejectedFor(['VBS_NOT_RUNNING']);

    history.profileReported({ vbs: 'running' });
    const [event] = given(history.events).when(applyHotpatch(FEBRUARY_2025_HOTPATCH), patchState(FEBRUARY_2025_HOTPATCH)).events();
    expect(event!.type).toBe('HotpatchApplied');
  });

  it('never changes the build: it changes only through updates and reboots', () => {
    const events = aDeviceHistory().registered().events;
    const smuggled = reportDeviceProfile({ build: '26100.9999' } as never);
    const { state } = given(events)
      .when(smuggled)
      .then([
        {
          type: 'DeviceProfileReported',
          data: expect.objectContaining({ deviceId: DEVICE_ID }),
        },
      ]);
    if (state.status === 'unregistered') throw new Error('unreachable');
    expect(state.profile.build).toBe('26100.2894');
    expect(state.memory.baselineBuild).toBe('26100.2894');
  });
});

describe('an unregistered device', () => {
  const commands: [string, DeviceCommand][] = [
    ['ReportDeviceProfile', reportDeviceProfile({ vbs: 'running' })],
    ['ApplyHotpatch', applyHotpatch(FEBRUARY_2025_HOTPATCH)],
    ['CommitOnReboot', commitOnReboot()],
    ['StageUpdate', stageUpdate(APRIL_2025_BASELINE)],
    ['RevertHotpatch', revertHotpatch(FEBRUARY_2025_HOTPATCH)],
    ['ReportHotpatchFailure', reportHotpatchFailure(FEBRUARY_2025_HOTPATCH)],
    ['RetireDevice', retireDevice()],
  ];

  it.each(commands)('refuses %s with DEVICE_NOT_FOUND', (_name, command) => {
    const error = given([]).when(command, patchState(FEBRUARY_2025_HOTPATCH)).thenThrows('DEVICE_NOT_FOUND');
    expect(error.details).toEqual({ deviceId: DEVICE_ID });
  });
});

describe('RetireDevice', () => {
  it('records the retirement with its reason and time', () => {
    const { state } = given([deviceRegistered()])
      .when(retireDevice({ at: AT, reason: 'stolen laptop' }))
      .then([{ type: 'DeviceRetired', data: { deviceId: DEVICE_ID, reason: 'stolen laptop', retiredAt: AT } }]);
    expect(state).toMatchObject({ status: 'retired', retiredAt: AT });
  });

  it('accepts a retirement without a reason', () => {
    given([deviceRegistered()])
      .when(retireDevice({ at: AT, reason: null }))
      .then([{ type: 'DeviceRetired', data: { deviceId: DEVICE_ID, reason: null, retiredAt: AT } }]);
  });

  describe('after retirement', () => {
    const retired = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).retired().events;

    const refused: [string, DeviceCommand][] = [
      ['ReportDeviceProfile', reportDeviceProfile({ vbs: 'off' })],
      ['CommitOnReboot', commitOnReboot()],
      ['StageUpdate', stageUpdate(APRIL_2025_BASELINE)],
      ['RevertHotpatch', revertHotpatch(FEBRUARY_2025_HOTPATCH)],
      ['ReportHotpatchFailure', reportHotpatchFailure(FEBRUARY_2025_HOTPATCH)],
      ['RetireDevice', retireDevice()],
    ];

    it.each(refused)('refuses %s with DEVICE_RETIRED', (_name, command) => {
      const patch = command.type === 'StageUpdate' ? patchState(APRIL_2025_BASELINE) : patchState(FEBRUARY_2025_HOTPATCH);
      given(retired).when(command, patch).thenThrows('DEVICE_RETIRED');
    });

    it('records the attempt as refused for DEVICE_RETIRED even when the patch still runs in memory (not ALREADY_APPLIED)', () => {
      given(retired)
        .when(applyHotpatch(FEBRUARY_2025_HOTPATCH, { at: AT }), patchState(FEBRUARY_2025_HOTPATCH))
        .then([
          {
            type: 'HotpatchRejected',
            data: { deviceId: DEVICE_ID, patchId: 'KB5052093', reasons: ['DEVICE_RETIRED'], rejectedAt: AT },
          },
        ]);
    });

    it('records an ApplyHotpatch attempt as HotpatchRejected with DEVICE_RETIRED, so auditors see who tried', () => {
      const another = aDeviceHistory().registered().retired().events;
      given(another)
        .when(applyHotpatch(FEBRUARY_2025_HOTPATCH, { at: AT }), patchState(FEBRUARY_2025_HOTPATCH))
        .then([
          {
            type: 'HotpatchRejected',
            data: { deviceId: DEVICE_ID, patchId: 'KB5052093', reasons: ['DEVICE_RETIRED'], rejectedAt: AT },
          },
        ]);
    });
  });
});
