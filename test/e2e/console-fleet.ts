import { aDeviceProfile } from '../builders';

/**
 * The small fleet the console e2e test draws, at real builds of ../shared/data/windows-releases.json and judged
 * now (every release of the file is months old by then, so what is offered and not run is overdue).
 */
const DAY = 24 * 60 * 60 * 1000;
export const ago = (days: number): string => new Date(Date.now() - days * DAY).toISOString();

/** Fixed by the June 2026 baseline KB5094126 (.8655): the March LCU (.8037) lacks it, July's baseline and later carry it. */
export const JUNE_CVE = 'CVE-2026-42910';

export const CONSOLE_FLEET = [
  // The August hotpatch, heard from lately: hotpatch path, up to date, protected.
  { deviceId: 'current', profile: aDeviceProfile({ build: '26100.9106' }), registeredAt: ago(30) },
  // The July baseline, offered the August hotpatch: overdue until it applies it (in the test's later steps).
  { deviceId: 'due-hotpatch', profile: aDeviceProfile({ build: '26100.8875' }), registeredAt: ago(20) },
  // The March LCU: exposed to the June CVE; stages the September LCU later, so it waits for a restart.
  { deviceId: 'due-lcu', profile: aDeviceProfile({ build: '26100.8037' }), registeredAt: ago(20) },
  // VBS off: cannot hotpatch at all.
  { deviceId: 'no-vbs', profile: aDeviceProfile({ build: '26100.9106', vbs: 'off' }), registeredAt: ago(10) },
  // Silent since August: stale.
  { deviceId: 'silent', profile: aDeviceProfile({ build: '26100.9106' }), registeredAt: '2026-08-12T08:00:00Z' },
];
