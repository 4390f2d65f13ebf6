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
  planeCves,
} from '@patchstate/domain';
import { EventEnvelope } from '@patchstate/messaging';
import { Projection } from '../engine/projection';

/**
 * `device_state`: one row per device with the domain's own state (folded by the domain's `evolveDevice`,
 * the same code the write side uses) and the columns the list queries filter on. It also keeps
 * `device_cve_protection`: for each CVE fixed on the device, since when in memory and since when on disk,
 * found by comparing the CVEs of each plane before and after the event.
 */
export class DeviceStateProjection implements Projection {
  readonly name = 'device_state';
  readonly tables = ['device_state', 'device_cve_protection'];

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
    await trackCveProtection(tx, before, after, envelope.metadata.occurredAt);
  }
}

async function trackCveProtection(tx: QueryRunner, before: DeviceState, after: RegisteredDevice, at: string): Promise<void> {
  const cvesOf = (state: DeviceState, plane: 'memory' | 'disk') =>
    new Set(state.status === 'unregistered' ? [] : planeCves(state[plane]));
  const retired = after.status === 'retired';
  let lostAny = false;
  for (const plane of ['memory', 'disk'] as const) {
    const column = plane === 'memory' ? 'in_memory_since' : 'on_disk_since';
    const was = cvesOf(before, plane);
    const now = retired ? new Set<string>() : cvesOf(after, plane);
    const gained = [...now].filter((cve) => !was.has(cve));
    const lost = [...was].filter((cve) => !now.has(cve));
    if (gained.length > 0) {
      await tx.query(
        `INSERT INTO device_cve_protection (device_id, cve_id, ${column})
         SELECT $1, cve, $3 FROM unnest($2::text[]) AS cve
         ON CONFLICT (cve_id, device_id) DO UPDATE SET ${column} = EXCLUDED.${column}`,
        [after.deviceId, gained, at],
      );
    }
    if (lost.length > 0) {
      lostAny = true;
      await tx.query(
        `UPDATE device_cve_protection SET ${column} = NULL WHERE device_id = $1 AND cve_id = ANY($2::text[])`,
        [after.deviceId, lost],
      );
    }
  }
  if (!lostAny) return;
  await tx.query(
    'DELETE FROM device_cve_protection WHERE device_id = $1 AND in_memory_since IS NULL AND on_disk_since IS NULL',
    [after.deviceId],
  );
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
