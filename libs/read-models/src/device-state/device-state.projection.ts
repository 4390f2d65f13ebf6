import { QueryRunner } from 'typeorm';
import {
  DEVICE_EVENT_TYPES,
  DeviceEvent,
  DeviceState,
  RegisteredDevice,
  deviceEligibility,
  diskBaselineBuild,
  evolveDevice,
  initialDeviceState,
  pendingCommit,
  planeBuild,
} from '@patchstate/domain';
import { EventEnvelope } from '@patchstate/messaging';
import { Projection } from '../engine/projection';

/**
 * `device_state`: one row per device with the domain's own state (folded by the domain's `evolveDevice`,
 * the same code the write side uses) and the columns the list queries filter on.
 */
export class DeviceStateProjection implements Projection {
  readonly name = 'device_state';

  handles(envelope: EventEnvelope): boolean {
    return envelope.streamType === 'device' && (DEVICE_EVENT_TYPES as readonly string[]).includes(envelope.type);
  }

  async apply(tx: QueryRunner, envelope: EventEnvelope): Promise<void> {
    const rows: { state: DeviceState }[] = await tx.query('SELECT state FROM device_state WHERE device_id = $1', [
      deviceIdOf(envelope),
    ]);
    const before = rows[0]?.state ?? initialDeviceState;
    const after = evolveDevice(before, { type: envelope.type, data: envelope.data } as DeviceEvent);
    if (after.status === 'unregistered') {
      throw new Error(`${envelope.type} for ${envelope.streamId} arrived before DeviceRegistered`);
    }
    await upsertDeviceRow(tx, after, envelope.version, envelope.position, envelope.metadata.recordedAt);
  }
}

function deviceIdOf(envelope: EventEnvelope): string {
  return (envelope.data as { deviceId: string }).deviceId;
}

export async function upsertDeviceRow(
  tx: QueryRunner,
  state: RegisteredDevice,
  version: number,
  position: string,
  updatedAt: string,
): Promise<void> {
  const general = deviceEligibility({
    profile: state.profile,
    runningBaselineBuild: state.memory.baselineBuild,
    diskBaselineBuild: diskBaselineBuild(state),
    retired: state.status === 'retired',
  });
  await tx.query(
    `INSERT INTO device_state (device_id, hostname, state, memory_build, disk_build, disk_baseline_build, pending_commit,
       pending_restart, hotpatched, device_eligible, device_ineligibility, retired, version, position, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     ON CONFLICT (device_id) DO UPDATE SET hostname = EXCLUDED.hostname, state = EXCLUDED.state,
       memory_build = EXCLUDED.memory_build, disk_build = EXCLUDED.disk_build,
       disk_baseline_build = EXCLUDED.disk_baseline_build, pending_commit = EXCLUDED.pending_commit,
       pending_restart = EXCLUDED.pending_restart, hotpatched = EXCLUDED.hotpatched,
       device_eligible = EXCLUDED.device_eligible, device_ineligibility = EXCLUDED.device_ineligibility,
       retired = EXCLUDED.retired, version = EXCLUDED.version, position = EXCLUDED.position,
       updated_at = EXCLUDED.updated_at`,
    [
      state.deviceId,
      state.hostname,
      JSON.stringify(state),
      planeBuild(state.memory),
      planeBuild(state.disk),
      diskBaselineBuild(state),
      pendingCommit(state).length > 0,
      state.pendingRestart !== null,
      state.memory.hotpatches.length > 0,
      general.eligible,
      general.reasons,
      state.status === 'retired',
      version,
      position,
      updatedAt,
    ],
  );
}
