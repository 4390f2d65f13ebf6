import { DataSource, QueryRunner } from 'typeorm';
import { DeviceState, evolveDevice, initialDeviceState, toDeviceEvent } from '@patchstate/domain';
import { EVENT_COLUMNS, toRecordedEvent } from '@patchstate/event-store';
import { toEnvelope } from '@patchstate/messaging';
import { recordPlaneBuilds, upsertDeviceRow } from '../device-state/device-state.projection';
import { PatchCatalogProjection } from '../patch-catalog/patch-catalog.projection';

const AS_OF_PAGE = 2000;

type EventRow = Parameters<typeof toRecordedEvent>[0] & { stream_type: string };

/**
 * Runs `read` against the read models as the log said at `asOf` ("what did the fleet look like last week?").
 * The devices and the catalog are folded from the events recorded up to then into temporary tables that shadow
 * the live read models for this transaction only, by the projections' own code, so the live queries' SQL
 * answers unchanged. Devices are folded one stream at a time: memory holds one device, not the fleet.
 */
export async function withReadModelsAsOf<T>(db: DataSource, asOf: string, read: (tx: QueryRunner) => Promise<T>): Promise<T> {
  const tx = db.createQueryRunner();
  await tx.connect();
  try {
    await tx.startTransaction('REPEATABLE READ');
    // Temporary tables come first in every search path: the queries below read these.
    for (const table of ['device_state', 'device_plane_history', 'patch_catalog']) {
      await tx.query(`CREATE TEMP TABLE ${table} (LIKE public.${table} INCLUDING ALL) ON COMMIT DROP`);
    }
    const catalog = new PatchCatalogProjection();
    for await (const row of eventsAsOf(tx, 'patch', asOf)) {
      await catalog.apply(tx, toEnvelope(toRecordedEvent(row), row.stream_type));
    }
    await foldDevices(tx, asOf);
    return await read(tx);
  } finally {
    // Nothing of the fold is kept.
    if (tx.isTransactionActive) await tx.rollbackTransaction();
    await tx.release();
  }
}

async function foldDevices(tx: QueryRunner, asOf: string): Promise<void> {
  let device = null as { streamId: string; state: DeviceState; last: EventRow } | null;
  const flush = async () => {
    if (device && device.state.status !== 'unregistered') {
      await upsertDeviceRow(tx, device.state, device.last.version, String(device.last.position), device.last.metadata.recordedAt);
    }
  };
  for await (const row of eventsAsOf(tx, 'device', asOf)) {
    if (device?.streamId !== row.stream_id) {
      await flush();
      device = { streamId: row.stream_id, state: initialDeviceState, last: row };
    }
    const before = device.state;
    device.state = evolveDevice(before, toDeviceEvent({ type: row.type, schemaVersion: row.metadata.schemaVersion ?? 1, data: row.data }));
    device.last = row;
    if (device.state.status !== 'unregistered') await recordPlaneBuilds(tx, before, device.state, row.version, row.metadata.occurredAt);
  }
  await flush();
}

async function* eventsAsOf(tx: QueryRunner, streamType: 'device' | 'patch', asOf: string): AsyncGenerator<EventRow> {
  let after: { streamId: string; version: number } = { streamId: '', version: 0 };
  for (;;) {
    const rows: EventRow[] = await tx.query(
      `SELECT ${EVENT_COLUMNS}, stream_type FROM events
       WHERE stream_type = $1 AND recorded_at <= $2 AND (stream_id, version) > ($3, $4)
       ORDER BY stream_id, version LIMIT ${AS_OF_PAGE}`,
      [streamType, asOf, after.streamId, after.version],
    );
    yield* rows;
    if (rows.length < AS_OF_PAGE) return;
    const last = rows[rows.length - 1];
    after = { streamId: last.stream_id, version: last.version };
  }
}
