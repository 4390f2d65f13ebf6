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

/** A device row as it is written: the folded state and the event it was folded to. */
interface DeviceRow {
  state: RegisteredDevice;
  version: number;
  position: string;
  updatedAt: string;
}

/** One build a plane started running, and since when (device time). */
interface PlaneRow {
  deviceId: string;
  plane: 'memory' | 'disk';
  version: number;
  build: string;
  since: string;
}

/**
 * `device_state`: one row per device with the domain's own state (folded by the domain's `evolveDevice`,
 * the same code the write side uses) and the columns the list queries filter on. It also keeps
 * `device_plane_history`: each build each plane ran and since when, from which queries tell since when a
 * device is protected against a CVE (what protects is decided through the catalog at read time, so a release
 * learnt later counts for the builds devices already ran).
 *
 * Set-based: a batch reads the rows of all its devices in one query, folds every event in memory and writes
 * each table back in one statement, so a rebuild costs three statements per batch instead of three per event.
 */
export class DeviceStateProjection implements Projection {
  readonly name = 'device_state';
  readonly tables = ['device_state', 'device_plane_history'];

  handles(envelope: EventEnvelope): boolean {
    return envelope.streamType === 'device' && (DEVICE_EVENT_TYPES as readonly string[]).includes(envelope.type);
  }

  /** One event is a batch of one: the isolated retry runs the very same fold and writes. */
  async apply(tx: QueryRunner, envelope: EventEnvelope): Promise<void> {
    await this.applyBatch(tx, [envelope]);
  }

  async applyBatch(tx: QueryRunner, envelopes: readonly EventEnvelope[]): Promise<void> {
    const events = envelopes.map((envelope) => ({
      envelope,
      event: toDeviceEvent({ type: envelope.type, schemaVersion: envelope.schemaVersion ?? 1, data: envelope.data }),
    }));
    const ids = [...new Set(events.map(({ event }) => event.data.deviceId))];
    const loaded: { device_id: string; state: DeviceState }[] = await tx.query(
      'SELECT device_id, state FROM device_state WHERE device_id = ANY($1::text[])',
      [ids],
    );
    const states = new Map(loaded.map((row) => [row.device_id, row.state]));
    const devices = new Map<string, DeviceRow>();
    const planes: PlaneRow[] = [];
    for (const { envelope, event } of events) {
      const before = states.get(event.data.deviceId) ?? initialDeviceState;
      const after = evolveDevice(before, event);
      if (after.status === 'unregistered') {
        throw new Error(`${envelope.type} for ${envelope.streamId} arrived before DeviceRegistered`);
      }
      states.set(after.deviceId, after);
      // Only the last state of a device is written: one statement cannot upsert the same row twice.
      devices.set(after.deviceId, { state: after, version: envelope.version, position: envelope.position, updatedAt: envelope.metadata.recordedAt });
      planes.push(...planeChanges(before, after, envelope.version, envelope.metadata.occurredAt));
    }
    await upsertDeviceRows(tx, [...devices.values()]);
    await insertPlaneRows(tx, planes);
  }
}

/** A row for each plane whose running build changed with this event (device time). */
function planeChanges(before: DeviceState, after: RegisteredDevice, version: number, at: string): PlaneRow[] {
  return (['memory', 'disk'] as const)
    .filter((plane) => before.status === 'unregistered' || planeBuild(before[plane]) !== planeBuild(after[plane]))
    .map((plane) => ({ deviceId: after.deviceId, plane, version, build: planeBuild(after[plane]), since: at }));
}

async function insertPlaneRows(tx: QueryRunner, rows: readonly PlaneRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO device_plane_history (device_id, plane, version, build, since)
     SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::timestamptz[])
     ON CONFLICT DO NOTHING`,
    [rows.map((r) => r.deviceId), rows.map((r) => r.plane), rows.map((r) => r.version), rows.map((r) => r.build), rows.map((r) => r.since)],
  );
}

/** The plane-history rows of one event; the as-of read models write them one event at a time. */
export async function recordPlaneBuilds(
  tx: QueryRunner,
  before: DeviceState,
  after: RegisteredDevice,
  version: number,
  at: string,
): Promise<void> {
  await insertPlaneRows(tx, planeChanges(before, after, version, at));
}

export async function upsertDeviceRow(
  tx: QueryRunner,
  state: RegisteredDevice,
  version: number,
  position: string,
  updatedAt: string,
): Promise<void> {
  await upsertDeviceRows(tx, [{ state, version, position, updatedAt }]);
}

/** The columns of `device_state` derived from a device row, named as in the table. */
function deviceColumns({ state, version, position, updatedAt }: DeviceRow): Record<string, unknown> {
  const general = deviceEligibility({
    profile: state.profile,
    runningBaselineBuild: state.memory.baselineBuild,
    diskBaselineBuild: diskBaselineBuild(state),
    retired: state.status === 'retired',
  });
  return {
    device_id: state.deviceId,
    hostname: state.hostname,
    state,
    memory_build: planeBuild(state.memory),
    disk_build: planeBuild(state.disk),
    disk_baseline_build: diskBaselineBuild(state),
    pending_commit: pendingCommit(state).length > 0,
    pending_restart: state.pendingRestart !== null,
    hotpatched: state.memory.hotpatches.length > 0,
    device_eligible: general.eligible,
    device_ineligibility: general.reasons,
    retired: state.status === 'retired',
    version,
    position,
    updated_at: updatedAt,
  };
}

/**
 * Every row in one statement: the rows travel as one JSON array (a `text[]` column per row does not fit
 * `unnest`, which flattens arrays of arrays), typed by the record definition.
 */
async function upsertDeviceRows(tx: QueryRunner, rows: readonly DeviceRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO device_state (device_id, hostname, state, memory_build, disk_build, disk_baseline_build, pending_commit,
       pending_restart, hotpatched, device_eligible, device_ineligibility, retired, version, position, updated_at)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(device_id text, hostname text, state jsonb, memory_build text,
       disk_build text, disk_baseline_build text, pending_commit boolean, pending_restart boolean, hotpatched boolean,
       device_eligible boolean, device_ineligibility text[], retired boolean, version integer, position bigint,
       updated_at timestamptz)
     ON CONFLICT (device_id) DO UPDATE SET hostname = EXCLUDED.hostname, state = EXCLUDED.state,
       memory_build = EXCLUDED.memory_build, disk_build = EXCLUDED.disk_build,
       disk_baseline_build = EXCLUDED.disk_baseline_build, pending_commit = EXCLUDED.pending_commit,
       pending_restart = EXCLUDED.pending_restart, hotpatched = EXCLUDED.hotpatched,
       device_eligible = EXCLUDED.device_eligible, device_ineligibility = EXCLUDED.device_ineligibility,
       retired = EXCLUDED.retired, version = EXCLUDED.version, position = EXCLUDED.position,
       updated_at = EXCLUDED.updated_at`,
    [JSON.stringify(rows.map(deviceColumns))],
  );
}
