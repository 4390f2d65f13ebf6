import {
  APRIL_2025_BASELINE,
  DEVICE_ID,
  FEBRUARY_2025_HOTPATCH,
  MARCH_2025_HOTPATCH,
  aDeviceHistory,
  deviceRegistered,
  hotpatchApplied,
  patchState,
  reportHotpatchFailure,
  revertHotpatch,
} from '../../../test/builders';
import { given, registeredStateAfter } from './given.helper.spec';

const AT = '2025-02-13T11:00:00Z';

describe('RevertHotpatch', () => {
  it('removes a hotpatch that is only in memory at once: nothing is left for the disk', () => {
    const { state } = given([deviceRegistered(), hotpatchApplied(FEBRUARY_2025_HOTPATCH)])
      .when(revertHotpatch(FEBRUARY_2025_HOTPATCH, { at: AT }))
      .then([{ type: 'HotpatchReverted', data: { deviceId: DEVICE_ID, patchId: 'KB5052093', revertedAt: AT, leavesDiskAtReboot: false } }]);
    expect(state).toEqual(registeredStateAfter([deviceRegistered()]));
  });

  it('removes a committed hotpatch from memory now and from disk at the next reboot', () => {
    const history = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).rebooted().events;
    const { state } = given(history)
      .when(revertHotpatch(FEBRUARY_2025_HOTPATCH, { at: AT }))
      .then([{ type: 'HotpatchReverted', data: { deviceId: DEVICE_ID, patchId: 'KB5052093', revertedAt: AT, leavesDiskAtReboot: true } }]);
    expect(state).toMatchObject({ pendingRemoval: ['KB5052093'], memory: { hotpatches: [] } });
    if (state.status === 'unregistered') throw new Error('unreachable');
    expect(state.disk.hotpatches.map((h) => h.patchId)).toEqual(['KB5052093']);
  });

  it('takes the reverted hotpatch off the disk at the next reboot', () => {
    const history = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).applied(MARCH_2025_HOTPATCH).rebooted().reverted(MARCH_2025_HOTPATCH);
    const { state } = given(history.events)
      .when(revertHotpatch(FEBRUARY_2025_HOTPATCH))
      .then([expect.objectContaining({ data: expect.objectContaining({ leavesDiskAtReboot: true }) })]);
    expect(state).toMatchObject({ pendingRemoval: ['KB5053636', 'KB5052093'] });
    const after = registeredStateAfter(aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).applied(MARCH_2025_HOTPATCH).rebooted().reverted(MARCH_2025_HOTPATCH).rebooted().events);
    expect(after.disk.hotpatches.map((h) => h.patchId)).toEqual(['KB5052093']);
    expect(after.memory).toEqual(after.disk);
    expect(after.pendingRemoval).toEqual([]);
  });

  it('refuses a hotpatch that was never installed (HOTPATCH_NOT_INSTALLED)', () => {
    const error = given([deviceRegistered()]).when(revertHotpatch(FEBRUARY_2025_HOTPATCH)).thenThrows('HOTPATCH_NOT_INSTALLED');
    expect(error.details).toEqual({ deviceId: DEVICE_ID, patchId: 'KB5052093' });
  });

  it('refuses to revert twice: after the first revert it is neither in memory nor staying on disk', () => {
    const memoryOnly = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).reverted(FEBRUARY_2025_HOTPATCH).events;
    given(memoryOnly).when(revertHotpatch(FEBRUARY_2025_HOTPATCH)).thenThrows('HOTPATCH_NOT_INSTALLED');
    const committed = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).rebooted().reverted(FEBRUARY_2025_HOTPATCH).events;
    given(committed).when(revertHotpatch(FEBRUARY_2025_HOTPATCH)).thenThrows('HOTPATCH_NOT_INSTALLED');
  });

  it('refuses a hotpatch superseded by a new baseline (HOTPATCH_NOT_INSTALLED)', () => {
    const history = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).rebooted().staged(APRIL_2025_BASELINE).rebooted().events;
    given(history).when(revertHotpatch(FEBRUARY_2025_HOTPATCH)).thenThrows('HOTPATCH_NOT_INSTALLED');
  });
});

describe('ReportHotpatchFailure', () => {
  it('records the install error the device reported', () => {
    given([deviceRegistered()])
      .when(reportHotpatchFailure(FEBRUARY_2025_HOTPATCH, { at: AT, errorCode: '0x800f0922' }), patchState(FEBRUARY_2025_HOTPATCH))
      .then([{ type: 'HotpatchFailed', data: { deviceId: DEVICE_ID, patchId: 'KB5052093', errorCode: '0x800f0922', failedAt: AT } }]);
  });

  it('installs nothing, but records the failure: the device falls back to the LCU until a hotpatch applies again', () => {
    const history = [deviceRegistered()];
    const failure = given(history).when(reportHotpatchFailure(FEBRUARY_2025_HOTPATCH, { at: AT, errorCode: '0x800f0922' }), patchState(FEBRUARY_2025_HOTPATCH)).events();
    const before = registeredStateAfter(history);
    const after = registeredStateAfter([...history, ...failure]);
    expect(after).toEqual({ ...before, hotpatchFailure: { patchId: 'KB5052093', errorCode: '0x800f0922', failedAt: AT } });
    expect(registeredStateAfter([...history, ...failure, hotpatchApplied(FEBRUARY_2025_HOTPATCH)]).hotpatchFailure).toBeNull();
  });

  it('refuses a failure of a patch the catalog does not have (PATCH_NOT_FOUND)', () => {
    given([deviceRegistered()]).when(reportHotpatchFailure('KB5099999'), null).thenThrows('PATCH_NOT_FOUND');
  });

  it('refuses a failure report about a baseline (WRONG_PATCH_KIND)', () => {
    given([deviceRegistered()])
      .when(reportHotpatchFailure(APRIL_2025_BASELINE), patchState(APRIL_2025_BASELINE))
      .thenThrows('WRONG_PATCH_KIND');
  });
});
