import { DeviceEvent, RegisteredDevice } from './device';
import { DeviceProfileChange } from './device-profile';

/**
 * Profile facts that Windows applies only at the next restart: CHPE is a registry setting read at boot, so an
 * Arm64 device that disabled it stays CHPE_ENABLED-ineligible until it restarts.
 */
const AT_RESTART: readonly (keyof DeviceProfileChange)[] = ['chpeDisabled'];

/**
 * A profile report: what takes effect at once is applied to the profile in the event; what waits for a restart
 * is carried in `atRestart`, the whole set still waiting (a value reported back to what is in effect cancels it).
 */
export function profileReported(state: RegisteredDevice, changes: DeviceProfileChange, at: string): DeviceEvent {
  const now: DeviceProfileChange = {};
  const atRestart: DeviceProfileChange = { ...(state.profileAtRestart ?? {}) };
  for (const [key, value] of Object.entries(changes) as [keyof DeviceProfileChange, unknown][]) {
    if (!AT_RESTART.includes(key)) Object.assign(now, { [key]: value });
    else if (state.profile[key] === value) delete atRestart[key];
    else Object.assign(atRestart, { [key]: value });
  }
  const profile = { ...state.profile, ...now };
  return { type: 'DeviceProfileReported', data: { deviceId: state.deviceId, changes, profile, reportedAt: at, atRestart } };
}
