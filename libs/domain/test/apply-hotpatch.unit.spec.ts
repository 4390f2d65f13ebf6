import {
  APRIL_2025_BASELINE,
  DEVICE_ID,
  FEBRUARY_2025_HOTPATCH,
  JANUARY_2025_BASELINE,
  MARCH_2025_HOTPATCH,
  UNPUBLISHED,
  aDeviceHistory,
  applyHotpatch,
  deviceRegistered,
  hotpatchApplied,
  patchState,
} from '../../../test/builders';
import { given, registeredStateAfter, stateAfter } from './given.helper.spec';

const AT = '2025-02-12T09:30:00Z';

describe('ApplyHotpatch', () => {
  it('applies an eligible hotpatch in memory, recording its build, baseline and CVEs', () => {
    const { state } = given([deviceRegistered()])
      .when(applyHotpatch(FEBRUARY_2025_HOTPATCH, { at: AT }), patchState(FEBRUARY_2025_HOTPATCH))
      .then([
        {
          type: 'HotpatchApplied',
          data: {
            deviceId: DEVICE_ID,
            patchId: 'KB5052093',
            build: '26100.3032',
            baselineBuild: '26100.2894',
            cves: ['CVE-2025-21391', 'CVE-2025-21418'],
            appliedAt: AT,
          },
        },
      ]);
    const device = registeredStateAfter([deviceRegistered(), hotpatchApplied(FEBRUARY_2025_HOTPATCH, { at: AT })]);
    expect(state).toEqual(device);
    expect(device.memory.hotpatches.map((h) => h.patchId)).toEqual(['KB5052093']);
    expect(device.disk.hotpatches).toEqual([]);
  });

  it('records an ineligible device as HotpatchRejected with its reasons', () => {
    given([deviceRegistered({ edition: 'pro' })])
      .when(applyHotpatch(FEBRUARY_2025_HOTPATCH, { at: AT }), patchState(FEBRUARY_2025_HOTPATCH))
      .then([
        {
          type: 'HotpatchRejected',
          data: { deviceId: DEVICE_ID, patchId: 'KB5052093', reasons: ['UNSUPPORTED_EDITION'], rejectedAt: AT },
        },
      ]);
  });

  it('changes no state when the hotpatch is rejected', () => {
    const history = [deviceRegistered({ vbs: 'off' })];
    const rejection = given(history).when(applyHotpatch(FEBRUARY_2025_HOTPATCH), patchState(FEBRUARY_2025_HOTPATCH)).events();
    expect(rejection.map((e) => e.type)).toEqual(['HotpatchRejected']);
    expect(stateAfter([...history, ...rejection])).toEqual(stateAfter(history));
  });

  it('changes no state when a revoked hotpatch is rejected on a device that already runs one', () => {
    const history = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).rebooted().events;
    const rejection = given(history).when(applyHotpatch(MARCH_2025_HOTPATCH), patchState(MARCH_2025_HOTPATCH, { revoked: true })).events();
    expect(rejection).toEqual([expect.objectContaining({ type: 'HotpatchRejected', data: expect.objectContaining({ reasons: ['PATCH_REVOKED'] }) })]);
    expect(stateAfter([...history, ...rejection])).toEqual(stateAfter(history));
  });

  it('refuses a hotpatch already applied in memory (ALREADY_APPLIED)', () => {
    const error = given([deviceRegistered(), hotpatchApplied(FEBRUARY_2025_HOTPATCH)])
      .when(applyHotpatch(FEBRUARY_2025_HOTPATCH), patchState(FEBRUARY_2025_HOTPATCH))
      .thenThrows('ALREADY_APPLIED');
    expect(error.details).toEqual({ deviceId: DEVICE_ID, patchId: 'KB5052093' });
  });

  it('refuses a hotpatch already committed to disk by a reboot (ALREADY_APPLIED)', () => {
    const history = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).rebooted().events;
    given(history).when(applyHotpatch(FEBRUARY_2025_HOTPATCH), patchState(FEBRUARY_2025_HOTPATCH)).thenThrows('ALREADY_APPLIED');
  });

  it('applies a reverted hotpatch again, taking it off the list of hotpatches to remove at reboot', () => {
    const history = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).rebooted().reverted(FEBRUARY_2025_HOTPATCH);
    expect(history.state).toMatchObject({ pendingRemoval: ['KB5052093'] });
    const { state } = given(history.events)
      .when(applyHotpatch(FEBRUARY_2025_HOTPATCH), patchState(FEBRUARY_2025_HOTPATCH))
      .then([expect.objectContaining({ type: 'HotpatchApplied' })]);
    expect(state).toMatchObject({ pendingRemoval: [] });
  });

  it('applies a newer hotpatch of the same baseline next to the older one', () => {
    const { state } = given([deviceRegistered(), hotpatchApplied(FEBRUARY_2025_HOTPATCH)])
      .when(applyHotpatch(MARCH_2025_HOTPATCH), patchState(MARCH_2025_HOTPATCH))
      .then([expect.objectContaining({ type: 'HotpatchApplied', data: expect.objectContaining({ patchId: 'KB5053636' }) })]);
    if (state.status === 'unregistered') throw new Error('unreachable');
    expect(state.memory.hotpatches.map((h) => h.patchId)).toEqual(['KB5052093', 'KB5053636']);
  });

  it('refuses a patch the catalog does not have (PATCH_NOT_FOUND), whether unknown or unpublished', () => {
    given([deviceRegistered()]).when(applyHotpatch('KB5099999'), null).thenThrows('PATCH_NOT_FOUND');
    given([deviceRegistered()]).when(applyHotpatch('KB5099999'), UNPUBLISHED).thenThrows('PATCH_NOT_FOUND');
  });

  it('refuses a baseline or cumulative update, which must be staged (WRONG_PATCH_KIND)', () => {
    const error = given([deviceRegistered()])
      .when(applyHotpatch(JANUARY_2025_BASELINE), patchState(JANUARY_2025_BASELINE))
      .thenThrows('WRONG_PATCH_KIND');
    expect(error.details).toMatchObject({ patchId: 'KB5050009', kind: 'baseline', expected: ['hotpatch', 'oob-hotpatch'] });
    given([deviceRegistered()]).when(applyHotpatch(APRIL_2025_BASELINE), patchState(APRIL_2025_BASELINE)).thenThrows('WRONG_PATCH_KIND');
  });

  it('refuses an unknown patch before judging eligibility: no rejection is recorded for it', () => {
    given([deviceRegistered({ edition: 'pro' })]).when(applyHotpatch('KB5099999'), null).thenThrows('PATCH_NOT_FOUND');
  });
});
