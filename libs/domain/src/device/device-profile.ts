import { Build } from '../shared/builds';
import { Architecture, Product } from '../catalog/patch';

export const EDITIONS = [
  'enterprise',
  'education',
  'pro',
  'windows-365-enterprise',
  'datacenter-azure-edition',
  'standard',
  'datacenter',
] as const;
export type Edition = (typeof EDITIONS)[number];

export const VBS_STATES = ['running', 'enabled', 'off'] as const;
/** Only `running` counts for hotpatching: enabled but not running is not enough. */
export type VbsState = (typeof VBS_STATES)[number];

export interface DeviceProfile {
  product: Product;
  edition: Edition;
  architecture: Architecture;
  /** The build the device reported when it was registered: its baseline. */
  build: Build;
  vbs: VbsState;
  /** Arm64 only: CHPE must be disabled (one restart) before hotpatches apply. */
  chpeDisabled: boolean;
  /** Set by policy (Intune / Autopatch quality update policy). */
  hotpatchEnabled: boolean;
}

/** What a device may report about itself later. Its build changes only through updates and reboots. */
export type DeviceProfileChange = Partial<Omit<DeviceProfile, 'build'>>;
