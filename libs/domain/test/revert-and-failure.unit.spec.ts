import { pendingCommit } from '@patchstate/domain';
import {
  APRIL_2025_BASELINE,
  DEVICE_ID,
  FEBRUARY_2025_HOTPATCH,
  MARCH_2025_HOTPATCH,
  aDeviceHistory,
  deviceRegistered,
  hotpatchApplied,
  hotpatchReverted,
  patchState,
  reportHotpatchFailure,
  revertHotpatch,
} from '../../../test/builders';
import { given, registeredStateAfter } from './given.helper.spec';

const AT = '2025-02-13T11:00:00Z';

describe('RevertHotpatch: Windows uninstalls a hotpatch at the next reboot', () => {
  it('keeps a hotpatch that is only in memory running until the reboot, then it is gone without reaching the disk', () => {
    const { state } = given([deviceRegistered(), hotpatchApplied(FEBRUARY_2025_HOTPATCH)])
      .when(revertHotpatch(FEBRUARY_2025_HOTPATCH, { at: AT }))
      .then([
        {
          type: 'HotpatchReverted',
          data: { deviceId: DEVICE_ID, patchId: 'KB5052093', revertedAt: AT, leavesDiskAtReboot: false, leavesMemoryAtReboot: true },
        },
      ]);
    if (state.status === 'unregistered') throw new Error('unreachable');
    expect(state.memory.hotpatches.map((h) => h.patchId)).toEqual(['KB5052093']);
    expect(state.pendingRemoval).toEqual(['KB5052093']);
    // Not pending commit: the reboot does not write an uninstalled hotpatch.
    expect(pendingCommit(state)).toEqual([]);
    const rebooted = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).reverted(FEBRUARY_2025_HOTPATCH).rebooted().state;
    expect(rebooted).toMatchObject({ memory: { hotpatches: [] }, disk: { hotpatches: [] }, pendingRemoval: [] });
  });

  it('keeps a committed hotpatch in memory and on disk until the next reboot: pending removal in both planes', () => {
    const history = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).rebooted().events;
    const { state } = given(history)
      .when(revertHotpatch(FEBRUARY_2025_HOTPATCH, { at: AT }))
      .then([
        {
          type: 'HotpatchReverted',
          data: { deviceId: DEVICE_ID, patchId: 'KB5052093', revertedAt: AT, leavesDiskAtReboot: true, leavesMemoryAtReboot: true },
        },
      ]);
    if (state.status === 'unregistered') throw new Error('unreachable');
    expect(state.pendingRemoval).toEqual(['KB5052093']);
    expect(state.memory.hotpatches.map((h) => h.patchId)).toEqual(['KB5052093']);
    expect(state.disk.hotpatches.map((h) => h.patchId)).toEqual(['KB5052093']);
  });

  it('takes the reverted hotpatches off both planes at the next reboot', () => {
    const history = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).applied(MARCH_2025_HOTPATCH).rebooted().reverted(MARCH_2025_HOTPATCH);
    const { state } = given(history.events)
      .when(revertHotpatch(FEBRUARY_2025_HOTPATCH))
      .then([expect.objectContaining({ data: expect.objectContaining({ leavesDiskAtReboot: true, leavesMemoryAtReboot: true }) })]);
    expect(state).toMatchObject({ pendingRemoval: ['KB5053636', 'KB5052093'] });
    const after = registeredStateAfter(
      aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).applied(MARCH_2025_HOTPATCH).rebooted().reverted(MARCH_2025_HOTPATCH).rebooted().events,
    );
    expect(after.disk.hotpatches.map((h) => h.patchId)).toEqual(['KB5052093']);
    expect(after.memory).toEqual(after.disk);
    expect(after.pendingRemoval).toEqual([]);
  });

  it('still reads a revert recorded before this rule (v1, leavesMemoryAtReboot false) as gone from memory at once', () => {
    const v1 = hotpatchReverted(FEBRUARY_2025_HOTPATCH, true, { leavesMemoryAtReboot: false });
    const state = registeredStateAfter([...aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).rebooted().events, v1]);
    expect(state.memory.hotpatches).toEqual([]);
    expect(state.disk.hotpatches.map((h) => h.patchId)).toEqual(['KB5052093']);
    expect(state.pendingRemoval).toEqual(['KB5052093']);
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
    expect(after).toEqual({ ...before, hotpatchFailure: { patchId: 'KB5052093', errorCode: '0x800f0922', failedAt: AT }, lastSeenAt: AT });
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
