import { Architecture, Build, Edition, Product } from '@patchstate/domain';
import {
  Read,
  productOf,
  readArchitecture,
  readBuild,
  readDeviceId,
  readEdition,
  readErrorCode,
  readFlag,
  readHostname,
  readKb,
  readTime,
  text,
} from './wufb-values';

/** What one UCClient row says about a device: the columns of docs/ingest.md, read and checked. */
export interface ClientFact {
  deviceId: string;
  hostname: string;
  build: Build;
  product: Product;
  edition: Edition;
  architecture: Architecture;
  /** IsDeviceHotpatchEligible; null when the export has no such column or the cell is empty. */
  hotpatchEligible: boolean | null;
  /** When the device reported these facts: LastCensusScanTime (the census reports OSBuild), else TimeGenerated. */
  seenAt: string;
  /** TimeGenerated: when Log Analytics took the row, the export's time recorded as the cause. */
  exportedAt: string;
}

/** Where an update stands on the device, from ClientState / ClientSubstate (docs/ingest.md, "update phases"). */
export type UpdatePhase = 'installed' | 'restart-required' | 'failed' | 'in-progress' | 'not-quality';

/** What one UCClientUpdateStatus (or UCServiceUpdateStatus) row says: one device and one update. */
export interface UpdateFact {
  deviceId: string;
  kb: string;
  phase: UpdatePhase;
  /** The substate as exported, to name it in a skip reason. */
  substate: string;
  /** When the device reached the phase: ClientSubstateTime, else UpdateInstalledTime / RestartRequiredTime, else TimeGenerated. */
  at: string;
  errorCode: string | null;
  exportedAt: string;
}

export type RowRead<T> = { ok: true; fact: T } | { ok: false; problems: string[] };

/** Collects every problem of a row, so one report names all of them. */
class Problems {
  readonly list: string[] = [];
  take<T>(read: Read<T>): T {
    if (!read.ok) this.list.push(read.message);
    return (read.ok ? read.value : undefined) as T;
  }
}

export function readClientRow(row: Record<string, unknown>): RowRead<ClientFact> {
  const p = new Problems();
  const deviceId = p.take(readDeviceId(row.AzureADDeviceId));
  const hostname = p.take(readHostname(row.DeviceName));
  const build = p.take(readBuild(row.OSBuild, 'OSBuild'));
  const edition = p.take(readEdition(row.OSEdition));
  const architecture = p.take(readArchitecture(row.OSArchitecture));
  const hotpatchEligible = p.take(readFlag(row.IsDeviceHotpatchEligible, 'IsDeviceHotpatchEligible'));
  const census = p.take(readTime(row.LastCensusScanTime, 'LastCensusScanTime', false));
  const generated = p.take(readTime(row.TimeGenerated, 'TimeGenerated', false));
  p.take(readTime(row.LastWUScanTime, 'LastWUScanTime', false));
  const seenAt = census ?? generated;
  if (census === null && generated === null && p.list.every((m) => !m.includes('Time'))) {
    p.list.push('LastCensusScanTime or TimeGenerated is required (when the device reported its build)');
  }
  const product = build && edition ? p.take(productOf(build, edition.server)) : undefined;
  if (p.list.length > 0) return { ok: false, problems: p.list };
  return {
    ok: true,
    fact: {
      deviceId,
      hostname,
      build,
      product: product as Product,
      edition: edition.edition,
      architecture,
      hotpatchEligible,
      seenAt: seenAt as string,
      exportedAt: (generated ?? seenAt) as string,
    },
  };
}

// ClientSubstate names by what they mean for the two planes. Matching ignores case; other substates (offer,
// download, install start, deferred, cancelled) are steps on the way and record nothing yet.
const INSTALLED = ['installcomplete', 'installcompleted', 'updateinstalled', 'installed', 'rebootcomplete', 'restartcomplete'];
const RESTART = ['restartrequired', 'rebootrequired', 'rebootpending', 'restartpending', 'pendingrestart', 'pendingreboot'];

function phaseOf(state: string | null, substate: string | null): UpdatePhase {
  const sub = substate?.toLowerCase() ?? '';
  const bucket = state?.toLowerCase() ?? '';
  if (bucket === 'failed' || bucket === 'error' || sub.endsWith('failed') || sub.endsWith('error')) return 'failed';
  if (RESTART.includes(sub)) return 'restart-required';
  if (INSTALLED.includes(sub) || (sub === '' && bucket === 'installed')) return 'installed';
  return 'in-progress';
}

export function readUpdateRow(row: Record<string, unknown>): RowRead<UpdateFact> {
  const p = new Problems();
  const deviceId = p.take(readDeviceId(row.AzureADDeviceId));
  const kb = p.take(readKb(row.TargetKBNumber));
  const errorCode = p.take(readErrorCode(row.ErrorCode));
  const substateTime = p.take(readTime(row.ClientSubstateTime, 'ClientSubstateTime', false));
  const installedTime = p.take(readTime(row.UpdateInstalledTime, 'UpdateInstalledTime', false));
  const restartTime = p.take(readTime(row.RestartRequiredTime, 'RestartRequiredTime', false));
  const generated = p.take(readTime(row.TimeGenerated, 'TimeGenerated', false));
  const state = text(row.ClientState);
  const substate = text(row.ClientSubstate);
  const category = text(row.UpdateCategory);
  let phase = phaseOf(state, substate);
  // A feature update or driver is no release of the catalog: the check-in of its new build says what it did.
  if (category !== null && category.toLowerCase() !== 'windowsqualityupdate') phase = 'not-quality';
  if (state === null && substate === null && text(row.ServiceSubstate) === null) p.list.push('ClientState or ClientSubstate is required');
  if (phase === 'failed' && errorCode === null && p.list.length === 0) p.list.push('a failure needs its ErrorCode');
  const at = substateTime ?? (phase === 'installed' ? installedTime : phase === 'restart-required' ? restartTime : null) ?? generated;
  if (at === null && p.list.length === 0) p.list.push('ClientSubstateTime or TimeGenerated is required (when the update reached its state)');
  if (p.list.length > 0) return { ok: false, problems: p.list };
  return {
    ok: true,
    fact: {
      deviceId,
      kb,
      phase,
      substate: substate ?? state ?? text(row.ServiceSubstate) ?? '',
      at: at as string,
      errorCode,
      exportedAt: (generated ?? at) as string,
    },
  };
}
