import { AnyCommand } from '@patchstate/command-handling';
import {
  APRIL_2025_BASELINE,
  FEBRUARY_2025_HOTPATCH,
  JANUARY_2025_BASELINE,
  MARCH_2025_HOTPATCH,
  MAY_2025_HOTPATCH,
  OUT_OF_BAND_MAY_2025_HOTPATCH,
  applyHotpatch,
  commitOnReboot,
  publishPatch,
  registerDevice,
  reportHotpatchFailure,
  retireDevice,
  revertHotpatch,
  revokePatch,
  stageUpdate,
} from '../builders';

/*
 * A small fleet whose history touches every projection: the January-baseline hotpatches of February and
 * March, the April baseline and its May hotpatch, one revoked out-of-band hotpatch; ten devices that take,
 * commit, refuse, fail, revert, stage, reboot into a new baseline and retire. Times are fixed, so the
 * "since when" answers are known.
 */

export const FEB = FEBRUARY_2025_HOTPATCH; // KB5052093, 26100.3032
export const MAR = MARCH_2025_HOTPATCH; // KB5053636, 26100.3076
export const APR = APRIL_2025_BASELINE; // KB5055523, 26100.3775
export const MAY = MAY_2025_HOTPATCH; // KB5058497, 26100.4052 on the April baseline
export const OOB = OUT_OF_BAND_MAY_2025_HOTPATCH; // KB5061258, revoked below

export const T = {
  febAppliedA: '2025-02-12T09:00:00Z',
  febAppliedB: '2025-02-13T09:00:00Z',
  rebootA: '2025-02-15T07:00:00Z',
  marAppliedA: '2025-03-12T09:00:00Z',
  marAppliedB: '2025-03-13T09:00:00Z',
  rebootB: '2025-03-20T07:00:00Z',
  febAppliedE: '2025-02-12T10:00:00Z',
  aprStagedE: '2025-04-09T09:00:00Z',
  rebootE: '2025-04-10T07:00:00Z',
  mayAppliedE: '2025-05-14T09:00:00Z',
  febAppliedF: '2025-02-12T11:00:00Z',
  aprStagedF: '2025-04-09T10:00:00Z',
} as const;

const host = (deviceId: string) => `${deviceId}.corp.contoso.example`;
const register = (deviceId: string, profile: Parameters<typeof registerDevice>[0] = {}) =>
  registerDevice(profile, { deviceId, hostname: host(deviceId), at: '2025-01-20T08:00:00Z' });

export const FLEET_DEVICES = ['ws-a', 'ws-b', 'ws-c', 'ws-d', 'ws-e', 'ws-f', 'ws-g', 'ws-h', 'ws-i', 'ws-j'] as const;

export function scriptedFleetCommands(): AnyCommand[] {
  return [
    publishPatch(JANUARY_2025_BASELINE, { at: '2025-01-14T18:00:00Z' }),
    publishPatch(FEB, { at: '2025-02-11T18:00:00Z' }),
    publishPatch(MAR, { at: '2025-03-11T17:00:00Z' }),
    publishPatch(APR, { at: '2025-04-08T17:00:00Z' }),
    publishPatch(MAY, { at: '2025-05-13T17:00:00Z' }),
    publishPatch(OOB, { at: '2025-05-27T17:00:00Z' }),
    revokePatch(OOB, { at: '2025-05-28T08:00:00Z' }),

    register('ws-a'),
    register('ws-b'),
    register('ws-c', { edition: 'pro' }),
    register('ws-d', { vbs: 'enabled' }),
    register('ws-e'),
    register('ws-f'),
    register('ws-g'),
    register('ws-h'),
    register('ws-i'),
    register('ws-j'),

    // ws-a: February committed at a reboot, March only in memory.
    applyHotpatch(FEB, { deviceId: 'ws-a', at: T.febAppliedA }),
    commitOnReboot({ deviceId: 'ws-a', at: T.rebootA, bootId: 'boot-a1' }),
    applyHotpatch(MAR, { deviceId: 'ws-a', at: T.marAppliedA }),
    // ws-b: February and March, both committed: up to date.
    applyHotpatch(FEB, { deviceId: 'ws-b', at: T.febAppliedB }),
    applyHotpatch(MAR, { deviceId: 'ws-b', at: T.marAppliedB }),
    commitOnReboot({ deviceId: 'ws-b', at: T.rebootB, bootId: 'boot-b1' }),
    // ws-c (Pro) and ws-d (VBS enabled, not running) are refused.
    applyHotpatch(FEB, { deviceId: 'ws-c', at: '2025-02-12T12:00:00Z' }),
    applyHotpatch(FEB, { deviceId: 'ws-d', at: '2025-02-12T12:30:00Z' }),
    // ws-e: February, then the April baseline staged and activated at a reboot, then May in memory.
    applyHotpatch(FEB, { deviceId: 'ws-e', at: T.febAppliedE }),
    stageUpdate(APR, { deviceId: 'ws-e', at: T.aprStagedE }),
    commitOnReboot({ deviceId: 'ws-e', at: T.rebootE, bootId: 'boot-e1' }),
    applyHotpatch(MAY, { deviceId: 'ws-e', at: T.mayAppliedE }),
    // ws-f: February in memory and the April baseline staged: waits for a reboot both ways.
    applyHotpatch(FEB, { deviceId: 'ws-f', at: T.febAppliedF }),
    stageUpdate(APR, { deviceId: 'ws-f', at: T.aprStagedF }),
    // ws-g: February reverted while only in memory.
    applyHotpatch(FEB, { deviceId: 'ws-g', at: '2025-02-12T13:00:00Z' }),
    revertHotpatch(FEB, { deviceId: 'ws-g', at: '2025-02-13T13:00:00Z' }),
    // ws-h: February failed to install.
    reportHotpatchFailure(FEB, { deviceId: 'ws-h', at: '2025-02-12T14:00:00Z' }),
    // ws-i: February committed, reverted, and gone from disk at the next reboot.
    applyHotpatch(FEB, { deviceId: 'ws-i', at: '2025-02-12T15:00:00Z' }),
    commitOnReboot({ deviceId: 'ws-i', at: '2025-02-14T07:00:00Z', bootId: 'boot-i1' }),
    revertHotpatch(FEB, { deviceId: 'ws-i', at: '2025-02-20T09:00:00Z' }),
    commitOnReboot({ deviceId: 'ws-i', at: '2025-02-21T07:00:00Z', bootId: 'boot-i2' }),
    // ws-j: February, then retired; a later attempt is recorded as a refusal.
    applyHotpatch(FEB, { deviceId: 'ws-j', at: '2025-02-12T16:00:00Z' }),
    retireDevice({ deviceId: 'ws-j', at: '2025-03-01T09:00:00Z' }),
    applyHotpatch(MAR, { deviceId: 'ws-j', at: '2025-03-12T16:00:00Z' }),
  ];
}
