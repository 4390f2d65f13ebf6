import { DEFAULT_COMPLIANCE_POLICY, assessServicing, isStale } from '@patchstate/domain';
import { judgedAt } from './given.helper.spec';
import { aRealDevice, realCatalog } from './real-releases.helper.spec';

/*
 * Issue 11 on real releases: when a device is due to run what its path offers, when it is overdue, and when it
 * has been silent too long to be judged. The judging time is an input: the domain has no clock.
 */

// Windows 11 24H2 on the July 2026 baseline KB5101650 (26100.8875); the August hotpatch KB5120994 (26100.9106)
// shipped on 2026-08-11.
const onJulyBaseline = () => aRealDevice('ws-deadline').registered({ build: '26100.8875' }, '2026-07-20T08:00:00Z');

describe('deadlines: a device due on a hotpatch', () => {
  it('is due from the release date, with a 7-day deadline, and not yet overdue within it', () => {
    const device = onJulyBaseline().checkedIn('26100.8875', '2026-08-15T08:00:00Z');
    expect(device.servicing(realCatalog({ asOf: '2026-08-15' }), '2026-08-15T09:00:00Z')).toMatchObject({
      path: 'hotpatch',
      offered: { patchId: 'KB5120994', build: '26100.9106' },
      due: '2026-08-11T00:00:00.000Z',
      deadline: '2026-08-18T00:00:00.000Z',
      overdue: false,
    });
  });

  it('becomes overdue once the configured days have passed', () => {
    const device = onJulyBaseline().checkedIn('26100.8875', '2026-08-18T08:00:00Z');
    expect(device.servicing(realCatalog({ asOf: '2026-08-19' }), '2026-08-19T09:00:00Z')).toMatchObject({ overdue: true });
  });

  it('stops being due, and overdue, when it runs the release in memory (before any reboot)', () => {
    const patched = onJulyBaseline().applied('KB5120994', '2026-08-20T09:00:00Z');
    expect(patched.servicing(realCatalog({ asOf: '2026-08-20' }), '2026-08-20T10:00:00Z')).toMatchObject({
      due: null,
      deadline: null,
      overdue: false,
    });
  });

  it('counts a restart-requiring release by the restart deadline (14 days), and honours another policy', () => {
    // January 2026 hotpatch device that missed April's baseline: on the LCU path, offered the May LCU KB5089549.
    const offTrain = aRealDevice('ws-lcu').registered({ build: '26100.7979' }, '2026-05-20T08:00:00Z');
    const catalog = realCatalog({ asOf: '2026-05-20' });
    expect(offTrain.servicing(catalog, '2026-05-20T09:00:00Z')).toMatchObject({
      path: 'lcu',
      offered: { patchId: 'KB5089549' },
      due: '2026-05-12T00:00:00.000Z',
      deadline: '2026-05-26T00:00:00.000Z',
      overdue: false,
    });
    const strict = { at: '2026-05-20T09:00:00Z', policy: { ...DEFAULT_COMPLIANCE_POLICY, restartDays: 3 } };
    expect(offTrain.view(strict.at, catalog).servicing.overdue).toBe(false);
    expect(assessServicing(offTrain.state, catalog, strict)).toMatchObject({ deadline: '2026-05-15T00:00:00.000Z', overdue: true });
  });
});

describe('the baseline calendar comes from the catalog', () => {
  // April 2026 baseline KB5083769 with the May hotpatch KB5089466 (26100.8390).
  const onMayHotpatch = () => aRealDevice('ws-june').registered({ build: '26100.8390' }, '2026-05-14T08:00:00Z');

  it('before June, the device on the May hotpatch runs what its path offers', () => {
    expect(onMayHotpatch().servicing(realCatalog({ asOf: '2026-05-31' }), '2026-05-31T00:00:00Z')).toMatchObject({
      path: 'hotpatch',
      offered: { patchId: 'KB5089466' },
      upToDate: true,
      due: null,
    });
  });

  it('the unplanned June 2026 baseline KB5094126 becomes the next baseline: due from 9 June with the restart deadline', () => {
    const judged = onMayHotpatch().servicing(realCatalog({ asOf: '2026-06-24' }), '2026-06-24T00:00:00Z');
    expect(judged).toMatchObject({
      path: 'hotpatch',
      offered: { patchId: 'KB5094126', build: '26100.8655' },
      due: '2026-06-09T00:00:00.000Z',
      deadline: '2026-06-23T00:00:00.000Z',
      overdue: true,
    });
  });

  it('brings a device off the train back at June, not at the planned July', () => {
    // On the March 2026 hotpatch (January baseline): it missed April, whose hotpatch shipped in May.
    const offTrain = aRealDevice('ws-missed').registered({ build: '26100.7979' }, '2026-05-20T08:00:00Z');
    expect(offTrain.servicing(realCatalog({ asOf: '2026-05-31' })).nextBaseline).toEqual({ patchId: null, expectedMonth: '2026-07' });
    expect(offTrain.servicing(realCatalog({ asOf: '2026-06-20' })).nextBaseline).toEqual({ patchId: 'KB5094126', expectedMonth: '2026-06' });
  });
});

describe('freshness', () => {
  const catalog = realCatalog({ asOf: '2026-08-15' });

  it('is fresh while heard from within the configured days, stale after, and never up to date when stale', () => {
    const patched = onJulyBaseline().applied('KB5120994', '2026-08-12T09:00:00Z').rebooted('2026-08-12T20:00:00Z');
    const fresh = patched.view('2026-08-19T09:00:00Z', catalog);
    expect(fresh).toMatchObject({ lastSeenAt: '2026-08-12T20:00:00Z', stale: false, servicing: { upToDate: true } });
    const silent = patched.view('2026-08-19T20:00:01Z', catalog);
    expect(silent).toMatchObject({ stale: true, servicing: { upToDate: false, overdue: false } });
  });

  it('counts what the device reports itself as seen, not what was done to it (a revert)', () => {
    const reverted = onJulyBaseline().applied('KB5120994', '2026-08-12T09:00:00Z').reverted('KB5120994', '2026-08-30T09:00:00Z');
    expect(reverted.state.lastSeenAt).toBe('2026-08-12T09:00:00Z');
    expect(isStale(null, judgedAt('2026-08-12T09:00:00Z'))).toBe(true);
  });

  it('a check-in makes a stale device fresh, and a new build moves it through the catalog', () => {
    const silent = onJulyBaseline();
    expect(silent.view('2026-09-20T00:00:00Z', realCatalog({ asOf: '2026-09-20' })).stale).toBe(true);
    // It restarted into the September OOB LCU KB5129195 (26100.9457): off the hotpatch train, on the LCU path.
    const back = silent.checkedIn('26100.9457', '2026-09-20T08:00:00Z');
    const view = back.view('2026-09-20T09:00:00Z', realCatalog({ asOf: '2026-09-20' }));
    expect(view).toMatchObject({
      stale: false,
      lastSeenAt: '2026-09-20T08:00:00Z',
      memory: { release: 'KB5129195' },
      servicing: { path: 'lcu', reasons: ['CUMULATIVE_UPDATE_INSTALLED'], upToDate: true, due: null },
    });
  });
});
