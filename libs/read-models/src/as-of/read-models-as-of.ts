import { DataSource, QueryRunner } from 'typeorm';
import { DeviceState, evolveDevice, initialDeviceState, storedMessage, toDeviceEvent } from '@patchstate/domain';
import { EventLog, LoggedEvent } from '@patchstate/event-store';
import { toEnvelope } from '@patchstate/messaging';
import { recordPlaneBuilds, upsertDeviceRow } from '../device-state/device-state.projection';
import { PatchCatalogProjection } from '../patch-catalog/patch-catalog.projection';

const AS_OF_PAGE = 2000;

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
    for await (const event of eventsAsOf(tx, 'patch', asOf)) await catalog.apply(tx, toEnvelope(event, event.streamType));
    await foldDevices(tx, asOf);
    return await read(tx);
  } finally {
    // Nothing of the fold is kept.
    if (tx.isTransactionActive) await tx.rollbackTransaction();
    await tx.release();
  }
}

async function foldDevices(tx: QueryRunner, asOf: string): Promise<void> {
  let device = null as { streamId: string; state: DeviceState; last: LoggedEvent } | null;
  const flush = async () => {
    if (device && device.state.status !== 'unregistered') {
      await upsertDeviceRow(tx, device.state, device.last.version, device.last.position, device.last.metadata.recordedAt);
    }
  };
  for await (const event of eventsAsOf(tx, 'device', asOf)) {
    if (device?.streamId !== event.streamId) {
      await flush();
      device = { streamId: event.streamId, state: initialDeviceState, last: event };
    }
    const before = device.state;
    device.state = evolveDevice(before, toDeviceEvent(storedMessage(event)));
    device.last = event;
    if (device.state.status !== 'unregistered') await recordPlaneBuilds(tx, before, device.state, event.version, event.metadata.occurredAt);
  }
  await flush();
}

/** The events of one stream type recorded up to `asOf`, stream by stream, read in the fold's transaction (its snapshot). */
async function* eventsAsOf(tx: QueryRunner, streamType: 'device' | 'patch', asOf: string): AsyncGenerator<LoggedEvent> {
  for await (const page of new EventLog(tx).readByStream({ streamType, toTime: asOf }, AS_OF_PAGE)) yield* page;
}
