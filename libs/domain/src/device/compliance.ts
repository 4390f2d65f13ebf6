import { PatchDefinition, isHotpatchKind } from '../catalog/patch';
import { assertNever } from '../shared/messages';
import { DeviceEvent } from './device';

/**
 * How long a device may take to run the release its path offers, and how long it may stay silent. Deadlines
 * follow Windows Autopatch: counted from the release date, shorter for a hotpatch (no restart) than for an
 * update that needs one.
 */
export interface CompliancePolicy {
  /** Days after a hotpatch (or out-of-band hotpatch) is released before a device that does not run it is overdue. */
  hotpatchDays: number;
  /** The same for releases that need a restart: baselines, LCUs, out-of-band LCUs. */
  restartDays: number;
  /** Days without hearing from a device before it is stale: what the service knows of it is no longer a claim. */
  staleAfterDays: number;
}

/**
 * Defaults. Stale after 7 days: as long as the hotpatch deadline, so a device silent for longer could have let a
 * whole hotpatch window pass unseen; an agent heartbeat comes many times a day, so a week is no short outage.
 */
export const DEFAULT_COMPLIANCE_POLICY: CompliancePolicy = { hotpatchDays: 7, restartDays: 14, staleAfterDays: 7 };

/**
 * The time a judgement is made for and the policy it applies. The domain has no clock: the read side passes
 * now, or the `asOf` time of a point-in-time question, so the same history judged at the same time answers alike.
 */
export interface Judging {
  at: string;
  policy: CompliancePolicy;
}

export interface Deadline {
  /** Since when the device is due to run the release its path offers (the release's date); null: it runs it. */
  due: string | null;
  deadline: string | null;
  overdue: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const NOT_DUE: Deadline = { due: null, deadline: null, overdue: false };

/** The deadline of `release` for a device that does not run it in memory, judged at `judging.at`. */
export function deadlineOf(release: PatchDefinition, judging: Judging): Deadline {
  const days = isHotpatchKind(release.kind) ? judging.policy.hotpatchDays : judging.policy.restartDays;
  const due = Date.parse(release.releasedAt);
  const deadline = due + days * DAY_MS;
  return { due: new Date(due).toISOString(), deadline: new Date(deadline).toISOString(), overdue: Date.parse(judging.at) > deadline };
}

/** The time before which a last sighting makes a device stale: for SQL that compares many devices at once. */
export function staleBefore(judging: Judging): string {
  return new Date(Date.parse(judging.at) - judging.policy.staleAfterDays * DAY_MS).toISOString();
}

/** Never seen counts as stale: silence never reads as protection. */
export function isStale(lastSeenAt: string | null, judging: Judging): boolean {
  return lastSeenAt === null || Date.parse(lastSeenAt) < Date.parse(staleBefore(judging));
}

/**
 * When the device itself reported the fact an event records (device time), or null for what others did to it
 * or tried (a revert, a refusal, a retirement): only the device's own reports say it is alive.
 */
export function reportedAt(event: DeviceEvent): string | null {
  switch (event.type) {
    case 'DeviceRegistered':
      return event.data.registeredAt;
    case 'DeviceProfileReported':
      return event.data.reportedAt;
    case 'HotpatchApplied':
      return event.data.appliedAt;
    case 'DeviceRebooted':
      return event.data.rebootedAt;
    case 'UpdateStaged':
      return event.data.stagedAt;
    case 'HotpatchFailed':
      return event.data.failedAt;
    case 'DeviceCheckedIn':
      return event.data.checkedInAt;
    case 'HotpatchRejected':
    case 'HotpatchReverted':
    case 'DeviceRetired':
      return null;
    default:
      return assertNever(event);
  }
}

/** The later of two times, either possibly absent (device clocks and reports need not arrive in order). */
export function laterOf(a: string | null | undefined, b: string | null): string | null {
  if (a == null) return b;
  if (b === null) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}
