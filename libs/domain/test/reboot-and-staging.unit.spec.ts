import {
  APRIL_2025_BASELINE,
  DEVICE_ID,
  FEBRUARY_2025_HOTPATCH,
  JANUARY_2025_BASELINE,
  MARCH_2025_HOTPATCH,
  MAY_2025_HOTPATCH,
  SEPTEMBER_2025_CUMULATIVE,
  UNPUBLISHED,
  aBaseline,
  aCumulative,
  aDeviceHistory,
  anArm64Profile,
  commitOnReboot,
  deviceRegistered,
  hotpatchApplied,
  patchState,
  stageUpdate,
  updateStaged,
} from '../../../test/builders';
import { given, registeredStateAfter } from './given.helper.spec';

const AT = '2025-02-15T03:00:00Z';

describe('CommitOnReboot', () => {
  it('writes hotpatches that were only in memory to disk', () => {
    const { state } = given([deviceRegistered(), hotpatchApplied(FEBRUARY_2025_HOTPATCH)])
      .when(commitOnReboot({ at: AT, bootId: 'boot-7f3a' }))
      .then([
        {
          type: 'DeviceRebooted',
          data: {
            deviceId: DEVICE_ID,
            bootId: 'boot-7f3a',
            rebootedAt: AT,
            committed: ['KB5052093'],
            activated: null,
            superseded: [],
            removed: [],
            build: '26100.3032',
          },
        },
      ]);
    if (state.status === 'unregistered') throw new Error('unreachable');
    expect(state.disk.hotpatches.map((h) => h.patchId)).toEqual(['KB5052093']);
    expect(state.memory).toEqual(state.disk);
  });

  it('commits every pending hotpatch at once and boots into the highest build', () => {
    given([deviceRegistered(), hotpatchApplied(FEBRUARY_2025_HOTPATCH), hotpatchApplied(MARCH_2025_HOTPATCH)])
      .when(commitOnReboot({ at: AT, bootId: null }))
      .then([
        {
          type: 'DeviceRebooted',
          data: {
            deviceId: DEVICE_ID,
            bootId: null,
            rebootedAt: AT,
            committed: ['KB5052093', 'KB5053636'],
            activated: null,
            superseded: [],
            removed: [],
            build: '26100.3076',
          },
        },
      ]);
  });

  it('commits only what is not on disk yet', () => {
    const history = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).rebooted().applied(MARCH_2025_HOTPATCH).events;
    const [reboot] = given(history).when(commitOnReboot({ at: AT })).events();
    expect(reboot).toMatchObject({ type: 'DeviceRebooted', data: { committed: ['KB5053636'], build: '26100.3076' } });
  });

  it('records a reboot with nothing pending as changing nothing', () => {
    const history = [deviceRegistered()];
    const { state } = given(history)
      .when(commitOnReboot({ at: AT, bootId: 'boot-1' }))
      .then([
        {
          type: 'DeviceRebooted',
          data: { deviceId: DEVICE_ID, bootId: 'boot-1', rebootedAt: AT, committed: [], activated: null, superseded: [], removed: [], build: '26100.2894' },
        },
      ]);
    // Nothing but that the device was heard from: a reboot is the device's own report.
    expect(state).toEqual({ ...registeredStateAfter(history), lastSeenAt: AT });
  });
});

describe('StageUpdate', () => {
  it('stages a newer baseline on disk, to run after the next restart', () => {
    const { state } = given([deviceRegistered()])
      .when(stageUpdate(APRIL_2025_BASELINE, { at: AT }), patchState(APRIL_2025_BASELINE))
      .then([
        {
          type: 'UpdateStaged',
          data: {
            deviceId: DEVICE_ID,
            patchId: 'KB5055523',
            kind: 'baseline',
            build: '26100.3775',
            cves: APRIL_2025_BASELINE.cves,
            stagedAt: AT,
            replaces: null,
          },
        },
      ]);
    expect(state).toMatchObject({
      pendingRestart: { patchId: 'KB5055523', kind: 'baseline', build: '26100.3775', stagedAt: AT },
      memory: { baselineBuild: '26100.2894' },
      disk: { baselineBuild: '26100.2894' },
    });
  });

  it('stages a monthly cumulative update, an LCU (what a device off its baseline gets)', () => {
    const history = aDeviceHistory().registered({ build: '26100.4652' }).events;
    const [staged] = given(history).when(stageUpdate(SEPTEMBER_2025_CUMULATIVE), patchState(SEPTEMBER_2025_CUMULATIVE)).events();
    expect(staged).toMatchObject({ type: 'UpdateStaged', data: { patchId: 'KB5065426', kind: 'lcu', build: '26100.6584', replaces: null } });
  });

  it('lets a newer update replace one staged before any restart, and says which it replaces', () => {
    const history = [deviceRegistered(), updateStaged(APRIL_2025_BASELINE)];
    const [staged] = given(history).when(stageUpdate(SEPTEMBER_2025_CUMULATIVE), patchState(SEPTEMBER_2025_CUMULATIVE)).events();
    expect(staged).toMatchObject({ type: 'UpdateStaged', data: { patchId: 'KB5065426', replaces: 'KB5055523' } });
  });

  it('refuses an update that is not newer than the build on disk (UPDATE_NOT_NEWER)', () => {
    const error = given([deviceRegistered()])
      .when(stageUpdate(JANUARY_2025_BASELINE), patchState(JANUARY_2025_BASELINE))
      .thenThrows('UPDATE_NOT_NEWER');
    expect(error.details).toEqual({ deviceId: DEVICE_ID, patchId: 'KB5050009', build: '26100.2894', diskBuild: '26100.2894' });
    const older = aCumulative({ patchId: 'KB5048667', build: '26100.2605' });
    given([deviceRegistered()]).when(stageUpdate(older), patchState(older)).thenThrows('UPDATE_NOT_NEWER');
  });

  it('refuses an update that is not newer than the one already staged (UPDATE_NOT_NEWER)', () => {
    const history = [deviceRegistered(), updateStaged(SEPTEMBER_2025_CUMULATIVE)];
    const error = given(history).when(stageUpdate(APRIL_2025_BASELINE), patchState(APRIL_2025_BASELINE)).thenThrows('UPDATE_NOT_NEWER');
    expect(error.details).toMatchObject({ diskBuild: '26100.6584' });
  });

  it('compares builds numerically: 26100.10000 is newer than 26100.9999', () => {
    const future = aCumulative({ patchId: 'KB5099999', build: '26100.10000' });
    const [staged] = given([deviceRegistered({ build: '26100.9999' })]).when(stageUpdate(future), patchState(future)).events();
    expect(staged).toMatchObject({ type: 'UpdateStaged', data: { build: '26100.10000' } });
    const past = aCumulative({ patchId: 'KB5099998', build: '26100.9999' });
    given([deviceRegistered({ build: '26100.10000' })]).when(stageUpdate(past), patchState(past)).thenThrows('UPDATE_NOT_NEWER');
  });

  it('refuses a revoked update (PATCH_REVOKED)', () => {
    given([deviceRegistered()])
      .when(stageUpdate(APRIL_2025_BASELINE), patchState(APRIL_2025_BASELINE, { revoked: true }))
      .thenThrows('PATCH_REVOKED');
  });

  it('refuses a hotpatch, which is applied rather than staged (WRONG_PATCH_KIND)', () => {
    const error = given([deviceRegistered()])
      .when(stageUpdate(FEBRUARY_2025_HOTPATCH), patchState(FEBRUARY_2025_HOTPATCH))
      .thenThrows('WRONG_PATCH_KIND');
    expect(error.details).toMatchObject({ kind: 'hotpatch', expected: ['baseline', 'lcu', 'oob-lcu'] });
  });

  it('refuses an update the catalog does not have (PATCH_NOT_FOUND)', () => {
    given([deviceRegistered()]).when(stageUpdate('KB5055523'), null).thenThrows('PATCH_NOT_FOUND');
    given([deviceRegistered()]).when(stageUpdate('KB5055523'), UNPUBLISHED).thenThrows('PATCH_NOT_FOUND');
  });

  it('refuses an update not built for the device architecture (NOT_ELIGIBLE)', () => {
    const x64Only = aBaseline({ patchId: 'KB5055523', build: '26100.3775', architectures: ['x64'] });
    const error = given([deviceRegistered(anArm64Profile())]).when(stageUpdate(x64Only), patchState(x64Only)).thenThrows('NOT_ELIGIBLE');
    expect(error.details).toEqual({ reasons: ['ARCHITECTURE_NOT_SUPPORTED'] });
  });
});

describe('superseding at the reboot that activates a staged baseline', () => {
  it('supersedes every hotpatch of the old baseline, committed or only in memory, and boots the new baseline', () => {
    const history = aDeviceHistory()
      .registered()
      .applied(FEBRUARY_2025_HOTPATCH)
      .rebooted()
      .applied(MARCH_2025_HOTPATCH)
      .staged(APRIL_2025_BASELINE).events;
    const { state } = given(history)
      .when(commitOnReboot({ at: AT, bootId: 'boot-apr' }))
      .then([
        {
          type: 'DeviceRebooted',
          data: {
            deviceId: DEVICE_ID,
            bootId: 'boot-apr',
            rebootedAt: AT,
            committed: [],
            activated: { patchId: 'KB5055523', kind: 'baseline', build: '26100.3775', cves: APRIL_2025_BASELINE.cves },
            superseded: ['KB5052093', 'KB5053636'],
            removed: [],
            build: '26100.3775',
          },
        },
      ]);
    const plane = { baselineBuild: '26100.3775', baselinePatchId: 'KB5055523', baselineCves: APRIL_2025_BASELINE.cves, hotpatches: [] };
    expect(state).toMatchObject({ memory: plane, disk: plane, pendingRestart: null, pendingRemoval: [], profile: { build: '26100.3775' } });
  });

  it('lists a reverted hotpatch as removed, not superseded', () => {
    const history = aDeviceHistory()
      .registered()
      .applied(FEBRUARY_2025_HOTPATCH)
      .applied(MARCH_2025_HOTPATCH)
      .rebooted()
      .reverted(MARCH_2025_HOTPATCH)
      .staged(APRIL_2025_BASELINE).events;
    const [reboot] = given(history).when(commitOnReboot({ at: AT })).events();
    expect(reboot).toMatchObject({ data: { superseded: ['KB5052093'], removed: ['KB5053636'], committed: [] } });
  });

  it('supersedes only once: the next reboot on the new baseline commits its own hotpatches', () => {
    const history = aDeviceHistory().registered().applied(FEBRUARY_2025_HOTPATCH).staged(APRIL_2025_BASELINE).rebooted().applied(MAY_2025_HOTPATCH);
    expect(registeredStateAfter(history.events).memory.hotpatches.map((h) => h.patchId)).toEqual(['KB5058497']);
    const [reboot] = given(history.events).when(commitOnReboot({ at: AT })).events();
    expect(reboot).toMatchObject({ data: { committed: ['KB5058497'], superseded: [], activated: null, build: '26100.4052' } });
  });
});
