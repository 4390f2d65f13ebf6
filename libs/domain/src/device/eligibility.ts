import { Build, compareBuilds } from '../shared/builds';
import { PatchDefinition } from '../catalog/patch';
import { DeviceProfile, Edition } from './device-profile';

/** Stable reason codes: stored in HotpatchRejected events and counted by auditors. Only add, never rename. */
export const INELIGIBILITY_REASONS = [
  'VBS_NOT_RUNNING',
  'UNSUPPORTED_EDITION',
  'UNSUPPORTED_OS_BUILD',
  'CHPE_ENABLED',
  'ARCHITECTURE_NOT_SUPPORTED',
  'PRODUCT_NOT_SUPPORTED',
  'HOTPATCH_DISABLED',
  'BASELINE_MISMATCH',
  'PATCH_REVOKED',
  'DEVICE_RETIRED',
  // The release catalog: the device's OS version has no build of the release; the device's build is unknown
  // to the catalog (so its baseline cannot be told); it moved to another OS version outside a baseline month.
  'OS_VERSION_NOT_SUPPORTED',
  'UNKNOWN_BUILD',
  'OS_UPGRADED_OUTSIDE_BASELINE',
] as const;
export type IneligibilityReason = (typeof INELIGIBILITY_REASONS)[number];

const HOTPATCH_EDITIONS: Record<DeviceProfile['product'], readonly Edition[]> = {
  'windows-11': ['enterprise', 'education', 'windows-365-enterprise'],
  'windows-server-2022': ['datacenter-azure-edition'],
  'windows-server-2025': ['datacenter-azure-edition', 'standard', 'datacenter'],
};

/**
 * 24H2 (build 26100) is the first Windows 11 and the Server 2025 build line that can hotpatch; Windows Server
 * 2025 hotpatches through Azure Arc from build 26100.1742 on.
 */
const MINIMUM_BUILD: Record<DeviceProfile['product'], Build> = {
  'windows-11': '26100.1',
  'windows-server-2022': '20348.1',
  'windows-server-2025': '26100.1742',
};

export interface EligibilitySubject {
  profile: DeviceProfile;
  /** The baseline the device runs now. */
  runningBaselineBuild: Build;
  /** The baseline on disk, which is ahead of the running one while a staged baseline waits for a restart. */
  diskBaselineBuild: Build;
  retired: boolean;
  /** Whether the catalog knows what the device runs; an unknown build that matches no baseline says so. */
  buildKnown?: boolean;
  /** The device changed OS version after its baseline was released: no hotpatch until its next baseline. */
  osUpgradedSinceBaseline?: boolean;
}

/** A hotpatch as it concerns one device: its build and its baseline's build on the device's OS version. */
export interface HotpatchForDevice {
  definition: PatchDefinition;
  build: Build | null;
  baselineBuild: Build | null;
}

export interface Eligibility {
  eligible: boolean;
  reasons: IneligibilityReason[];
}

/** Whether the device itself can hotpatch at all, whatever the patch. */
export function deviceEligibility(subject: EligibilitySubject): Eligibility {
  return toEligibility(deviceReasons(subject));
}

/** Every reason a device cannot take a hotpatch, all at once, in the order of INELIGIBILITY_REASONS. */
export function hotpatchEligibility(
  subject: EligibilitySubject,
  hotpatch: HotpatchForDevice,
  patchRevoked: boolean,
): Eligibility {
  const reasons = new Set(deviceReasons(subject));
  const { profile } = subject;
  const { definition: patch, baselineBuild: baseline } = hotpatch;
  if (!patch.architectures.includes(profile.architecture)) reasons.add('ARCHITECTURE_NOT_SUPPORTED');
  if (!patch.products.includes(profile.product)) reasons.add('PRODUCT_NOT_SUPPORTED');
  if (hotpatch.build === null) reasons.add('OS_VERSION_NOT_SUPPORTED');
  const matches =
    baseline !== null &&
    compareBuilds(subject.runningBaselineBuild, baseline) === 0 &&
    compareBuilds(subject.diskBaselineBuild, baseline) === 0;
  if (!matches) reasons.add(subject.buildKnown === false ? 'UNKNOWN_BUILD' : 'BASELINE_MISMATCH');
  if (subject.osUpgradedSinceBaseline === true) reasons.add('OS_UPGRADED_OUTSIDE_BASELINE');
  if (patchRevoked) reasons.add('PATCH_REVOKED');
  return toEligibility([...reasons]);
}

function deviceReasons({ profile, retired, runningBaselineBuild }: EligibilitySubject): IneligibilityReason[] {
  const reasons: IneligibilityReason[] = [];
  if (profile.vbs !== 'running') reasons.push('VBS_NOT_RUNNING');
  if (!HOTPATCH_EDITIONS[profile.product].includes(profile.edition)) reasons.push('UNSUPPORTED_EDITION');
  if (compareBuilds(runningBaselineBuild, MINIMUM_BUILD[profile.product]) < 0) reasons.push('UNSUPPORTED_OS_BUILD');
  if (profile.architecture === 'arm64' && !profile.chpeDisabled) reasons.push('CHPE_ENABLED');
  if (!profile.hotpatchEnabled) reasons.push('HOTPATCH_DISABLED');
  if (retired) reasons.push('DEVICE_RETIRED');
  return reasons;
}

function toEligibility(reasons: IneligibilityReason[]): Eligibility {
  const order = (reason: IneligibilityReason) => INELIGIBILITY_REASONS.indexOf(reason);
  return { eligible: reasons.length === 0, reasons: [...reasons].sort((a, b) => order(a) - order(b)) };
}
