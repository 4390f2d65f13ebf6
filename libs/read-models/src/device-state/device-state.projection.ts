import { QueryRunner } from 'typeorm';
import {
  DEVICE_EVENT_TYPES,
  DeviceState,
  RegisteredDevice,
  deviceEligibility,
  diskBaselineBuild,
  evolveDevice,
  initialDeviceState,
  pendingCommit,
  planeBuild,
  toDeviceEvent,
} from '@patchstate/domain';
import { EventEnvelope } from '@patchstate/messaging';
import { Projection } from '../engine/projection';

/**
 * `device_state`: one row per device with the domain's own state (folded by the domain's `evolveDevice`,
 * the same code the write side uses) and the columns the list queries filter on. It also keeps
 * `device_plane_history`: each build each plane ran and since when, from which queries tell since when a
 * device is protected against a CVE (what protects is decided through the catalog at read time, so a release
 * learnt later counts for the builds devices already ran).
 */
export class DeviceStateProjection implements Projection {
  readonly name = 'device_state';
  readonly tables = ['device_state', 'device_plane_history'];

  handles(envelope: EventEnvelope): boolean {
    return envelope.streamType === 'device' && (DEVICE_EVENT_TYPES as readonly string[]).includes(envelope.type);
  }

  async apply(tx: QueryRunner, envelope: EventEnvelope): Promise<void> {
    const event = toDeviceEvent({ type: envelope.type, schemaVersion: envelope.schemaVersion ?? 1, data: envelope.data });
    const rows: { state: DeviceState }[] = await tx.query('SELECT state FROM device_state WHERE device_id = $1', [event.data.deviceId]);
    const before = rows[0]?.state ?? initialDeviceState;
    const after = evolveDevice(before, event);
    if (after.status === 'unregistered') {
      throw new Error(`${envelope.type} for ${envelope.streamId} arrived before DeviceRegistered`);
    }
    await upsertDeviceRow(tx, after, envelope.version, envelope.position, envelope.metadata.recordedAt);
    await recordPlaneBuilds(tx, before, after, envelope.version, envelope.metadata.occurredAt);
  }
}

/** A row for each plane whose running build changed with this event (device time). */
export async function recordPlaneBuilds(
  tx: QueryRunner,
  before: DeviceState,
  after: RegisteredDevice,
  version: number,
  at: string,
): Promise<void> {
  const changed = (['memory', 'disk'] as const).filter(
    (plane) => before.status === 'unregistered' || planeBuild(before[plane]) !== planeBuild(after[plane]),
  );
  if (changed.length === 0) return;
  await tx.query(
    `INSERT INTO device_plane_history (device_id, plane, version, build, since)
     SELECT $1, plane, $3, build, $4 FROM unnest($2::text[], $5::text[]) AS p(plane, build)
     ON CONFLICT DO NOTHING`,
    [after.deviceId, changed, version, at, changed.map((plane) => planeBuild(after[plane]))],
  );
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
