import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DeviceProfile } from '@patchstate/domain';
import { aDeviceProfile } from '../builders';

/**
 * A small fleet at real builds of ../shared/data/windows-releases.json, and what the service must answer about
 * it once the whole catalog (January 2025 to September 2026) is imported and judged now. Shared by the REST and
 * the gRPC servicing-model e2e specs. Every expectation is worked out from the release data in the comments.
 */
export const RELEASES_FILE = path.join(__dirname, '../../../shared/data/windows-releases.json');
export const releasesText = (): string => readFileSync(RELEASES_FILE, 'utf8');

/** The March 2026 RRAS CVE: fixed by the LCU KB5079473 (.8037) and the OOB hotpatch KB5084597 (.7982), not by the hotpatch KB5079420 (.7979). */
export const RRAS_CVE = 'CVE-2026-25172';
/** The WSUS CVE fixed only by the Server 2025 releases KB5070881 (OOB LCU) and KB5070893 (OOB hotpatch), 26100.6905. */
export const SERVER_ONLY_CVE = 'CVE-2025-59287';
export const UNKNOWN_CVE = 'CVE-2099-0001';

export interface Servicing {
  path: 'hotpatch' | 'lcu' | 'ineligible' | 'unknown-build';
  reasons: string[];
  release: { patchId: string; kind: string } | null;
  baselineKb: string | null;
  offered: { patchId: string; build: string } | null;
  upToDate: boolean;
  nextBaseline: { patchId: string | null; expectedMonth: string } | null;
  /** Issue 11: judged now (after September 2026), every release offered and not run is past its deadline. */
  due: string | null;
  deadline: string | null;
  overdue: boolean;
}

export interface FleetDevice {
  deviceId: string;
  profile: DeviceProfile;
  registeredAt: string;
  /** Reported after registration (and after the snapshot the specs take): a new build, or a hotpatch applied. */
  later?: { checkIn: { build: string; checkedInAt: string } } | { apply: { patchId: string; appliedAt: string } };
  servicing: Servicing;
}

const enterprise = (build: string, overrides: Partial<DeviceProfile> = {}) => aDeviceProfile({ build, ...overrides });
const release = (patchId: string, kind: string) => ({ patchId, kind });
const NOT_DUE = { due: null, deadline: null, overdue: false };
/** Due on a restart-requiring release since its date, with the default 14-day deadline, long past. */
const overdueSince = (day: string, deadlineDay: string) => ({ due: `${day}T00:00:00.000Z`, deadline: `${deadlineDay}T00:00:00.000Z`, overdue: true });
/** The newest LCU KB5129195 was released on 2026-09-14. */
const OVERDUE_ON_NEWEST_LCU = overdueSince('2026-09-14', '2026-09-28');
const AUGUST_HOTPATCH = release('KB5120994', 'hotpatch');
const onAugustHotpatch = (major: '26100' | '26200'): Servicing => ({
  path: 'hotpatch',
  reasons: [],
  release: AUGUST_HOTPATCH,
  baselineKb: 'KB5101650',
  offered: { patchId: 'KB5120994', build: `${major}.9106` },
  upToDate: true,
  nextBaseline: null,
  ...NOT_DUE,
});
/** The newest Windows 11 cumulative release: the September 2026 OOB LCU KB5129195, .9457. */
const newestLcu = (major: '26100' | '26200') => ({ patchId: 'KB5129195', build: `${major}.9457` });
/**
 * Off the train after the July 2026 baseline KB5101650 got its hotpatch (August): no newer baseline is known,
 * the next one is expected in the next planned baseline month.
 */
const OCTOBER_2026 = { patchId: null, expectedMonth: '2026-10' };
const missedBaseline = (releaseOf: { patchId: string; kind: string }): Servicing => ({
  path: 'lcu',
  reasons: ['MISSED_BASELINE'],
  release: releaseOf,
  baselineKb: 'KB5074109',
  offered: newestLcu('26100'),
  upToDate: false,
  nextBaseline: OCTOBER_2026,
  ...OVERDUE_ON_NEWEST_LCU,
});

export const FLEET: FleetDevice[] = [
  // The August 2026 hotpatch on the July 2026 baseline: the newest hotpatch of the newest baseline, and the same KB
  // on 25H2 (its build 26200.9106).
  { deviceId: 'hp-24h2', profile: enterprise('26100.9106'), registeredAt: '2026-08-12T08:00:00Z', servicing: onAugustHotpatch('26100') },
  { deviceId: 'hp-25h2', profile: enterprise('26200.9106'), registeredAt: '2026-08-12T08:00:00Z', servicing: onAugustHotpatch('26200') },
  // The March 2026 hotpatch on the January 2026 baseline KB5074109: it missed April, June and July.
  { deviceId: 'mar-hotpatch', profile: enterprise('26100.7979'), registeredAt: '2026-03-12T08:00:00Z', servicing: missedBaseline(release('KB5079420', 'hotpatch')) },
  // The OOB hotpatch KB5084597 that closed March's RRAS gap, on the same baseline.
  { deviceId: 'mar-oob', profile: enterprise('26100.7982'), registeredAt: '2026-03-14T08:00:00Z', servicing: missedBaseline(release('KB5084597', 'oob-hotpatch')) },
  {
    // On .7979, then KB5084597 applied in memory without a restart: protected in memory only.
    deviceId: 'mar-applied',
    profile: enterprise('26100.7979'),
    registeredAt: '2026-03-12T08:00:00Z',
    later: { apply: { patchId: 'KB5084597', appliedAt: '2026-03-14T09:00:00Z' } },
    servicing: missedBaseline(release('KB5084597', 'oob-hotpatch')),
  },
  {
    // The March 2026 LCU: the cumulative track, no baseline under it.
    deviceId: 'mar-lcu',
    profile: enterprise('26100.8037'),
    registeredAt: '2026-03-12T08:00:00Z',
    servicing: {
      path: 'lcu',
      reasons: ['CUMULATIVE_UPDATE_INSTALLED'],
      release: release('KB5079473', 'lcu'),
      baselineKb: null,
      offered: newestLcu('26100'),
      upToDate: false,
      nextBaseline: OCTOBER_2026,
      ...OVERDUE_ON_NEWEST_LCU,
    },
  },
  {
    // Windows Server 2025 Datacenter on its own January 2026 baseline KB5073379 (26100.32230). It missed the
    // April 2026 server baseline KB5082063, on which the hotpatch KB5087423 shipped in May: it is off the train.
    // The July 2026 server baseline KB5099536 has no hotpatch yet, so it can still take it: that brings it back.
    deviceId: 'srv-2025',
    profile: enterprise('26100.32230', { product: 'windows-server-2025', edition: 'datacenter' }),
    registeredAt: '2026-01-20T08:00:00Z',
    servicing: {
      path: 'lcu',
      reasons: ['MISSED_BASELINE'],
      release: release('KB5073379', 'baseline'),
      baselineKb: 'KB5073379',
      offered: { patchId: 'KB5099536', build: '26100.33158' },
      upToDate: false,
      nextBaseline: { patchId: 'KB5099536', expectedMonth: '2026-07' },
      ...overdueSince('2026-07-14', '2026-07-28'),
    },
  },
  {
    // Pro cannot hotpatch; it runs the newest LCU, which is all its path offers.
    deviceId: 'pro',
    profile: enterprise('26100.9457', { edition: 'pro' }),
    registeredAt: '2026-09-15T08:00:00Z',
    servicing: {
      path: 'ineligible',
      reasons: ['UNSUPPORTED_EDITION'],
      release: release('KB5129195', 'oob-lcu'),
      baselineKb: null,
      offered: newestLcu('26100'),
      upToDate: true,
      nextBaseline: null,
      ...NOT_DUE,
    },
  },
  {
    // No release has this build: a reason, not a guess.
    deviceId: 'unknown',
    profile: enterprise('26100.99999'),
    registeredAt: '2026-08-12T08:00:00Z',
    servicing: { path: 'unknown-build', reasons: ['UNKNOWN_BUILD'], release: null, baselineKb: null, offered: null, upToDate: false, nextBaseline: null, ...NOT_DUE },
  },
  {
    // On the August hotpatch, then upgraded to 25H2 on 20 August, outside a baseline month: LCUs until October.
    deviceId: 'upgraded',
    profile: enterprise('26100.9106'),
    registeredAt: '2026-08-12T08:00:00Z',
    later: { checkIn: { build: '26200.9106', checkedInAt: '2026-08-20T10:00:00Z' } },
    servicing: {
      path: 'lcu',
      reasons: ['OS_UPGRADED_OUTSIDE_BASELINE'],
      release: AUGUST_HOTPATCH,
      baselineKb: 'KB5101650',
      offered: newestLcu('26200'),
      upToDate: false,
      nextBaseline: OCTOBER_2026,
      ...OVERDUE_ON_NEWEST_LCU,
    },
  },
];

export const deviceIds = (servicingPath: Servicing['path'], upToDate?: boolean): string[] =>
  FLEET.filter((d) => d.servicing.path === servicingPath && (upToDate === undefined || d.servicing.upToDate === upToDate))
    .map((d) => d.deviceId)
    .sort();

/** Per CVE: the counts now, and before the later reports (mar-applied still on .7979). */
export const EXPOSURE = {
  [RRAS_CVE]: {
    // Every device here runs a product the CVE concerns (Windows 11 x64, and Server 2025 through KB5078740).
    // On disk: the August hotpatch and the Pro LCU carry it cumulatively from the March LCU; .7982 and .8037 fix it.
    // Exposed: .7979 (the March hotpatch lacks it) and the server's January baseline (fixed by its March LCU).
    now: { counts: { protectedOnDisk: 6, protectedInMemoryOnly: 1, exposed: 2, unknownBuild: 1 }, affected: 10, notAffected: 0 },
    exposed: ['mar-hotpatch', 'srv-2025'],
    before: { counts: { protectedOnDisk: 6, protectedInMemoryOnly: 0, exposed: 3, unknownBuild: 1 }, affected: 10, notAffected: 0 },
  },
  [SERVER_ONLY_CVE]: {
    // Only the server is concerned, and its January 2026 baseline carries the October 2025 OOB LCU's fix.
    now: { counts: { protectedOnDisk: 1, protectedInMemoryOnly: 0, exposed: 0, unknownBuild: 0 }, affected: 1, notAffected: 9 },
  },
};

export const SUMMARY = {
  devices: FLEET.length,
  byServicingPath: { hotpatch: 2, lcu: 6, ineligible: 1, 'unknown-build': 1 },
  byOffTrainReason: { MISSED_BASELINE: 4, CUMULATIVE_UPDATE_INSTALLED: 1, OS_UPGRADED_OUTSIDE_BASELINE: 1, HOTPATCH_FAILED: 0 },
};
