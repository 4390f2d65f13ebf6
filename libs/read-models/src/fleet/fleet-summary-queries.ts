import { DataSource, QueryRunner } from 'typeorm';
import { DeviceEvent, DeviceState, evolveDevice, initialDeviceState } from '@patchstate/domain';
import { EVENT_COLUMNS, toRecordedEvent } from '@patchstate/event-store';
import { toEnvelope } from '@patchstate/messaging';
import { DEVICE_LIST_STATES, DEVICE_STATE_CONDITIONS, DeviceListState } from '../device-state/device-queries';
import { upsertDeviceRow } from '../device-state/device-state.projection';
import { PatchCatalogProjection } from '../patch-catalog/patch-catalog.projection';

export interface FleetSummary {
  devices: number;
  byState: Record<DeviceListState, number>;
  byIneligibilityReason: Record<string, number>;
}

const AS_OF_PAGE = 2000;

type EventRow = Parameters<typeof toRecordedEvent>[0] & { stream_type: string };

export class FleetSummaryQueries {
  constructor(private readonly db: DataSource) {}

  /** The fleet now, from the read models, or as of a time, folded from the log. */
  async summary(asOf?: string): Promise<FleetSummary> {
    return asOf === undefined ? summarize(this.db) : this.summaryAsOf(asOf);
  }

  /**
   * The fleet as the log said at `asOf` ("what did the fleet look like last week?"). The devices and the
   * catalog are folded from the events recorded up to then into temporary tables that shadow the read
   * models for this transaction only, by the projections' own code, and counted by the same SQL as the live
   * summary. Devices are folded one stream at a time, so memory holds one device, not the fleet.
   */
  async summaryAsOf(asOf: string): Promise<FleetSummary> {
    const tx = this.db.createQueryRunner();
    await tx.connect();
    try {
      await tx.startTransaction('REPEATABLE READ');
      // Temporary tables come first in every search path: the summary SQL below reads these.
      await tx.query('CREATE TEMP TABLE device_state (LIKE public.device_state INCLUDING ALL) ON COMMIT DROP');
      await tx.query('CREATE TEMP TABLE patch_catalog (LIKE public.patch_catalog INCLUDING ALL) ON COMMIT DROP');
      const catalog = new PatchCatalogProjection();
      for await (const row of this.eventsAsOf(tx, 'patch', asOf)) {
        await catalog.apply(tx, toEnvelope(toRecordedEvent(row), row.stream_type));
      }
      let device = null as { streamId: string; state: DeviceState; last: EventRow } | null;
      const flush = async () => {
        if (device && device.state.status !== 'unregistered') {
          await upsertDeviceRow(tx, device.state, device.last.version, String(device.last.position), device.last.metadata.recordedAt);
        }
      };
      for await (const row of this.eventsAsOf(tx, 'device', asOf)) {
        if (device?.streamId !== row.stream_id) {
          await flush();
          device = { streamId: row.stream_id, state: initialDeviceState, last: row };
        }
        device.state = evolveDevice(device.state, { type: row.type, data: row.data } as DeviceEvent);
        device.last = row;
      }
      await flush();
      return await summarize(tx);
    } finally {
      // Nothing of the fold is kept.
      if (tx.isTransactionActive) await tx.rollbackTransaction();
      await tx.release();
    }
  }

  private async *eventsAsOf(tx: QueryRunner, streamType: 'device' | 'patch', asOf: string): AsyncGenerator<EventRow> {
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
}

async function summarize(db: DataSource | QueryRunner): Promise<FleetSummary> {
  const [counts]: Record<string, string>[] = await db.query(
    `SELECT count(*) AS devices,
            ${DEVICE_LIST_STATES.map((state, i) => `count(*) FILTER (WHERE ${DEVICE_STATE_CONDITIONS[state]}) AS s${i}`).join(',\n')}
     FROM device_state d`,
  );
  const reasons: { reason: string; devices: string }[] = await db.query(
    `SELECT reason, count(*) AS devices FROM device_state d, unnest(d.device_ineligibility) AS reason
     WHERE NOT d.retired GROUP BY reason ORDER BY reason`,
  );
  return {
    devices: Number(counts.devices),
    byState: Object.fromEntries(DEVICE_LIST_STATES.map((state, i) => [state, Number(counts[`s${i}`])])) as Record<DeviceListState, number>,
    byIneligibilityReason: Object.fromEntries(reasons.map((r) => [r.reason, Number(r.devices)])),
  };
}
