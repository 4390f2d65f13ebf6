import { DeviceProfile } from '@patchstate/domain';
import { JANUARY_2025_BASELINE_BUILD } from './patches';

export const DEVICE_ID = 'ws-0042';
export const HOSTNAME = 'ws-0042.corp.contoso.example';

/**
 * A device that can hotpatch: Windows 11 Enterprise 24H2 on x64, on the January 2025 baseline, VBS running,
 * hotpatching enabled by policy. Override what a test is about.
 */
export function aDeviceProfile(overrides: Partial<DeviceProfile> = {}): DeviceProfile {
  return {
    product: 'windows-11',
    edition: 'enterprise',
    architecture: 'x64',
    build: JANUARY_2025_BASELINE_BUILD,
    vbs: 'running',
    chpeDisabled: false,
    hotpatchEnabled: true,
    ...overrides,
  };
}

/** An Arm64 Windows 11 Enterprise device; CHPE disabled (eligible) unless told otherwise. */
export function anArm64Profile(overrides: Partial<DeviceProfile> = {}): DeviceProfile {
  return aDeviceProfile({ architecture: 'arm64', chpeDisabled: true, ...overrides });
}
