import {
  DeviceCommand,
  DeviceEvent,
  DeviceProfile,
  DeviceProfileChange,
  DeviceState,
  PatchDefinition,
  PatchState,
  decideDevice,
  evolveDevice,
  initialDeviceState,
} from '@patchstate/domain';
import {
  applyHotpatch,
  commitOnReboot,
  registerDevice,
  reportDeviceProfile,
  reportHotpatchFailure,
  retireDevice,
  revertHotpatch,
  stageUpdate,
} from './commands';
import { DEVICE_ID } from './devices';
import { REGISTERED_AT, daysAfter } from './metadata';
import { patchState } from './patches';

/**
 * Builds a device's history by deciding real commands, one hour apart from REGISTERED_AT, so the "given"
 * of a test is exactly what the decider would have recorded (reboots included). A step the decider
 * refuses throws: the test's setup is wrong, not the code under test.
 */
export class DeviceHistory {
  private readonly recorded: DeviceEvent[] = [];
  private current: DeviceState = initialDeviceState;

  constructor(private readonly deviceId: string = DEVICE_ID) {}

  registered(profile: Partial<DeviceProfile> = {}): this {
    return this.decide(registerDevice(profile, this.options()), null);
  }

  profileReported(changes: DeviceProfileChange): this {
    return this.decide(reportDeviceProfile(changes, this.options()), null);
  }

  applied(patch: PatchDefinition, options: { revoked?: boolean } = {}): this {
    return this.decide(applyHotpatch(patch, this.options()), patchState(patch, options));
  }

  rebooted(bootId: string | null = `boot-${this.recorded.length + 1}`): this {
    return this.decide(commitOnReboot({ ...this.options(), bootId }), null);
  }

  staged(patch: PatchDefinition): this {
    return this.decide(stageUpdate(patch, this.options()), patchState(patch));
  }

  reverted(patch: PatchDefinition | string): this {
    return this.decide(revertHotpatch(patch, this.options()), null);
  }

  failed(patch: PatchDefinition, errorCode = '0x800f0922'): this {
    return this.decide(reportHotpatchFailure(patch, { ...this.options(), errorCode }), patchState(patch));
  }

  retired(reason: string | null = 'decommissioned'): this {
    return this.decide(retireDevice({ ...this.options(), reason }), null);
  }

  get events(): DeviceEvent[] {
    return [...this.recorded];
  }

  get state(): DeviceState {
    return this.current;
  }

  private options() {
    return { deviceId: this.deviceId, at: daysAfter(REGISTERED_AT, 0, this.recorded.length) };
  }

  private decide(command: DeviceCommand, patch: PatchState | null): this {
    for (const event of decideDevice(command, this.current, patch)) {
      this.recorded.push(event);
      this.current = evolveDevice(this.current, event);
    }
    return this;
  }
}

export function aDeviceHistory(deviceId: string = DEVICE_ID): DeviceHistory {
  return new DeviceHistory(deviceId);
}
