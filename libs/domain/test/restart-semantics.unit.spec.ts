import { DEVICE_EVENT_SCHEMA_VERSIONS, toDeviceEvent } from '@patchstate/domain';
import { applyHotpatch, commitOnReboot } from '../../../test/builders';
import { given, registeredStateAfter } from './given.helper.spec';
import { aRealDevice, realCatalog, realPatchState } from './real-releases.helper.spec';

/*
 * Issue 11, Windows' own timing: an uninstalled hotpatch keeps running until the next reboot, and disabling CHPE
 * on Arm64 counts after a restart. Old events keep the meaning they were recorded with (upcast v1 -> v2).
 */

// Windows 11 24H2 on the January 2026 baseline KB5074109 with the March hotpatch KB5079420 (.7979); the OOB
// hotpatch KB5084597 (.7982) fixes the RRAS CVE that .7979 lacks.
const RRAS = 'CVE-2026-25172';
const catalog = realCatalog({ asOf: '2026-03-31' });
const onOob = () =>
  aRealDevice('ws-rras', catalog).registered({ build: '26100.7979' }, '2026-03-12T08:00:00Z').applied('KB5084597', '2026-03-14T09:00:00Z');

describe('an uninstalled hotpatch keeps running until the reboot', () => {
  it('stays in memory, protecting, pending removal; the reboot takes it out of both planes', () => {
    const reverted = onOob().rebooted('2026-03-14T20:00:00Z').reverted('KB5084597', '2026-03-16T09:00:00Z');
    const view = reverted.view('2026-03-16T10:00:00Z');
    expect(view).toMatchObject({ memory: { release: 'KB5084597' }, disk: { release: 'KB5084597' }, pendingRemoval: ['KB5084597'] });
    expect(view.memory.cves).toContain(RRAS);
    // Work waits for a reboot, so it is not up to date, but it still runs the release: not due.
    expect(view.servicing).toMatchObject({ upToDate: false, due: null });
    const after = reverted.rebooted('2026-03-16T20:00:00Z').view('2026-03-16T21:00:00Z');
    expect(after).toMatchObject({ memory: { release: 'KB5079420', hotpatches: [] }, disk: { release: 'KB5079420' }, pendingRemoval: [] });
    expect(after.memory.cves).not.toContain(RRAS);
  });

  it('one only in memory is not written to disk by the reboot', () => {
    const reverted = onOob().reverted('KB5084597', '2026-03-15T09:00:00Z');
    expect(reverted.view('2026-03-15T10:00:00Z')).toMatchObject({ memory: { release: 'KB5084597' }, disk: { release: 'KB5079420' }, pendingCommit: [] });
    const [rebooted] = given(reverted.events).when(commitOnReboot({ deviceId: 'ws-rras', at: '2026-03-15T20:00:00Z' })).events();
    expect(rebooted).toMatchObject({ type: 'DeviceRebooted', data: { committed: [], removed: ['KB5084597'], build: '26100.7979' } });
  });

  it('can be applied again before the reboot, which cancels the removal', () => {
    const reverted = onOob().reverted('KB5084597', '2026-03-15T09:00:00Z');
    const { state } = given(reverted.events)
      .when(applyHotpatch('KB5084597', { deviceId: 'ws-rras', at: '2026-03-15T10:00:00Z' }), realPatchState('KB5084597'), catalog)
      .then([expect.objectContaining({ type: 'HotpatchApplied' })]);
    expect(state).toMatchObject({ pendingRemoval: [] });
  });
});

describe('Arm64: CHPE disabled counts after a restart', () => {
  const arm = () =>
    aRealDevice('arm-1', catalog)
      .registered({ build: '26100.7979', architecture: 'arm64', chpeDisabled: false }, '2026-03-12T08:00:00Z')
      .profileReported({ chpeDisabled: true }, '2026-03-13T08:00:00Z');

  it('records the change as waiting for a restart: the device stays CHPE_ENABLED-ineligible', () => {
    expect(arm().events[1]).toMatchObject({ data: { profile: { chpeDisabled: false }, atRestart: { chpeDisabled: true } } });
    expect(arm().view('2026-03-13T09:00:00Z')).toMatchObject({
      profile: { chpeDisabled: false },
      profileAtRestart: { chpeDisabled: true },
      servicing: { path: 'ineligible', reasons: ['CHPE_ENABLED'] },
    });
  });

  it('takes effect at the reboot', () => {
    const view = arm().rebooted('2026-03-13T20:00:00Z').view('2026-03-13T21:00:00Z');
    expect(view).toMatchObject({ profile: { chpeDisabled: true }, profileAtRestart: null });
    expect(view.servicing.path).not.toBe('ineligible');
  });

  it('takes effect when a check-in reports a new build (the device restarted into it)', () => {
    const moved = arm().checkedIn('26100.8037', '2026-03-14T08:00:00Z');
    expect(moved.state.profile.chpeDisabled).toBe(true);
    // The same build: no restart is known, the change still waits.
    expect(arm().checkedIn('26100.7979', '2026-03-14T08:00:00Z').state.profile.chpeDisabled).toBe(false);
  });

  it('reporting the value in effect again cancels what waited', () => {
    expect(arm().profileReported({ chpeDisabled: false }, '2026-03-13T09:00:00Z').state.profileAtRestart).toBeNull();
  });
});

describe('events recorded under the old rules keep their meaning', () => {
  const registered = aRealDevice('old', catalog).registered({ build: '26100.7979', chpeDisabled: false }, '2026-03-12T08:00:00Z');

  it('are written at version 2 now', () => {
    expect(DEVICE_EVENT_SCHEMA_VERSIONS).toMatchObject({ HotpatchReverted: 2, DeviceProfileReported: 2 });
  });

  it('reads a version-1 HotpatchReverted (as the previous code stored it) as gone from memory at once', () => {
    const v1 = { deviceId: 'old', patchId: 'KB5084597', revertedAt: '2026-03-15T09:00:00Z', leavesDiskAtReboot: false };
    const event = toDeviceEvent({ type: 'HotpatchReverted', schemaVersion: 1, data: v1 });
    expect(event).toEqual({ type: 'HotpatchReverted', data: { ...v1, leavesMemoryAtReboot: false } });
    const applied = registered.applied('KB5084597', '2026-03-14T09:00:00Z');
    expect(registeredStateAfter([...applied.events, event]).memory.hotpatches).toEqual([]);
  });

  it('reads a version-1 DeviceProfileReported as in effect at once', () => {
    const v1 = {
      deviceId: 'old',
      changes: { chpeDisabled: true },
      profile: { ...registered.state.profile, chpeDisabled: true },
      reportedAt: '2026-03-13T08:00:00Z',
    };
    const event = toDeviceEvent({ type: 'DeviceProfileReported', schemaVersion: 1, data: v1 });
    expect(event).toEqual({ type: 'DeviceProfileReported', data: { ...v1, atRestart: {} } });
    expect(registeredStateAfter([...registered.events, event])).toMatchObject({ profile: { chpeDisabled: true }, profileAtRestart: null });
  });

  it('reads version 2 as it is, and refuses a version newer than the code knows', () => {
    const v2 = { deviceId: 'old', patchId: 'KB5084597', revertedAt: '2026-03-15T09:00:00Z', leavesDiskAtReboot: false, leavesMemoryAtReboot: true };
    expect(toDeviceEvent({ type: 'HotpatchReverted', schemaVersion: 2, data: v2 }).data).toEqual(v2);
    expect(() => toDeviceEvent({ type: 'HotpatchReverted', schemaVersion: 3, data: v2 })).toThrow(/schema version 3/);
  });
});
