import { applyHotpatch } from '../../../test/builders';
import { given } from './given.helper.spec';
import { aRealDevice, checkIn, realCatalog, realPatchState } from './real-releases.helper.spec';

/*
 * CheckInDevice: the agent reports the build the device runs (what winver shows). A new build means the device
 * moved outside the service's commands (a restart into an update, an OS upgrade): both planes run it now.
 */

const DEVICE = 'ws-agent';
// Windows 11 24H2 on the January 2026 baseline KB5074109.
const onJanuaryBaseline = () => aRealDevice(DEVICE).registered({ build: '26100.7623' }, '2026-01-20T08:00:00Z');

describe('CheckInDevice: a new build', () => {
  it('records the build, the one it replaces and when; both planes run it, the hotpatches of the old build are gone', () => {
    const withHotpatch = onJanuaryBaseline().applied('KB5077212', '2026-02-11T09:00:00Z');
    const { state } = given(withHotpatch.events)
      .when(checkIn('26100.7840', { deviceId: DEVICE, at: '2026-02-12T08:00:00Z' }))
      .then([
        {
          type: 'DeviceCheckedIn',
          data: { deviceId: DEVICE, build: '26100.7840', previousBuild: '26100.7781', osUpgraded: false, checkedInAt: '2026-02-12T08:00:00Z' },
        },
      ]);
    const plane = { baselineBuild: '26100.7840', baselinePatchId: null, baselineCves: [], hotpatches: [] };
    expect(state).toMatchObject({ memory: plane, disk: plane, profile: { build: '26100.7840' }, lastSeenAt: '2026-02-12T08:00:00Z', osUpgradedAt: null });
  });

  it('resolves through the catalog: on the February LCU the device is off the hotpatch train', () => {
    const moved = onJanuaryBaseline().checkedIn('26100.7840', '2026-02-12T08:00:00Z');
    expect(moved.servicing(realCatalog({ asOf: '2026-02-20' }))).toMatchObject({
      path: 'lcu',
      reasons: ['CUMULATIVE_UPDATE_INSTALLED'],
      release: { patchId: 'KB5077181', kind: 'lcu' },
      nextBaseline: { patchId: null, expectedMonth: '2026-04' },
    });
  });

  it('takes a staged update as done when the device reports its build', () => {
    const staged = onJanuaryBaseline().staged('KB5077181', '2026-02-11T20:00:00Z');
    expect(staged.state.pendingRestart).toMatchObject({ patchId: 'KB5077181' });
    expect(staged.checkedIn('26100.7840', '2026-02-12T08:00:00Z').state.pendingRestart).toBeNull();
  });
});

describe('CheckInDevice: the build it already runs', () => {
  it('only says the device was seen', () => {
    const seen = onJanuaryBaseline().checkedIn('26100.7623', '2026-01-21T08:00:00Z');
    expect(seen.state).toEqual({ ...onJanuaryBaseline().state, lastSeenAt: '2026-01-21T08:00:00Z' });
  });

  it('keeps a hotpatch that runs in memory waiting for the reboot that writes it to disk', () => {
    const applied = onJanuaryBaseline().applied('KB5077212', '2026-02-11T09:00:00Z');
    const seen = applied.checkedIn('26100.7781', '2026-02-11T12:00:00Z');
    expect(seen.state).toEqual({ ...applied.state, lastSeenAt: '2026-02-11T12:00:00Z' });
  });
});

describe('CheckInDevice: an upgrade from 24H2 to 25H2', () => {
  // The enablement package keeps the revision: 26100.7623 becomes 26200.7623, the same January 2026 baseline.
  const upgradedInFebruary = () => onJanuaryBaseline().checkedIn('26200.7623', '2026-02-20T08:00:00Z');

  it('is recorded as an OS upgrade', () => {
    const [event] = given(onJanuaryBaseline().events).when(checkIn('26200.7623', { deviceId: DEVICE, at: '2026-02-20T08:00:00Z' })).events();
    expect(event).toMatchObject({ type: 'DeviceCheckedIn', data: { build: '26200.7623', previousBuild: '26100.7623', osUpgraded: true } });
    expect(upgradedInFebruary().state).toMatchObject({ osUpgradedAt: '2026-02-20T08:00:00Z', profile: { build: '26200.7623' } });
  });

  it('outside a baseline month puts the device on the LCU path until the next baseline', () => {
    expect(upgradedInFebruary().servicing(realCatalog({ asOf: '2026-02-25' }))).toMatchObject({
      path: 'lcu',
      reasons: ['OS_UPGRADED_OUTSIDE_BASELINE'],
      release: { patchId: 'KB5074109' },
      offered: { patchId: 'KB5077181', build: '26200.7840' },
      nextBaseline: { patchId: null, expectedMonth: '2026-04' },
    });
  });

  it('outside a baseline month refuses the next hotpatch of its baseline with OS_UPGRADED_OUTSIDE_BASELINE', () => {
    given(upgradedInFebruary().events)
      .when(applyHotpatch('KB5077212', { deviceId: DEVICE, at: '2026-02-21T09:00:00Z' }), realPatchState('KB5077212'), realCatalog())
      .thenRejectedFor(['OS_UPGRADED_OUTSIDE_BASELINE']);
  });

  it('the next baseline it installs brings it back to the hotpatch path', () => {
    const back = upgradedInFebruary().staged('KB5083769', '2026-04-14T20:00:00Z').rebooted('2026-04-15T07:00:00Z');
    expect(back.servicing(realCatalog({ asOf: '2026-05-13' }))).toMatchObject({ path: 'hotpatch', reasons: [], baselineKb: 'KB5083769' });
    expect(back.applied('KB5089466', '2026-05-13T09:00:00Z').state.memory.hotpatches).toMatchObject([{ patchId: 'KB5089466', build: '26200.8390' }]);
  });

  it('in a baseline month, onto that month\'s baseline, keeps the device on the hotpatch path', () => {
    const onApril = aRealDevice(DEVICE).registered({ build: '26100.8246' }, '2026-04-15T08:00:00Z');
    const upgraded = onApril.checkedIn('26200.8246', '2026-04-20T08:00:00Z');
    expect(upgraded.servicing(realCatalog({ asOf: '2026-05-13' }))).toMatchObject({ path: 'hotpatch', reasons: [], baselineKb: 'KB5083769' });
    expect(upgraded.applied('KB5089466', '2026-05-13T09:00:00Z').state.memory.hotpatches).toMatchObject([{ patchId: 'KB5089466' }]);
  });
});

describe('CheckInDevice: a stale report', () => {
  it('is refused (STALE_CHECK_IN): it must not move the device back in time', () => {
    const seen = onJanuaryBaseline().checkedIn('26100.7840', '2026-02-12T08:00:00Z');
    const error = given(seen.events).when(checkIn('26100.7623', { deviceId: DEVICE, at: '2026-02-10T08:00:00Z' })).thenThrows('STALE_CHECK_IN');
    expect(error.details).toEqual({ deviceId: DEVICE, lastSeenAt: '2026-02-12T08:00:00Z' });
  });

  it('is accepted at the same instant as the last one', () => {
    const seen = onJanuaryBaseline().checkedIn('26100.7840', '2026-02-12T08:00:00Z');
    expect(given(seen.events).when(checkIn('26100.7840', { deviceId: DEVICE, at: '2026-02-12T08:00:00Z' })).events()).toHaveLength(1);
  });
});
