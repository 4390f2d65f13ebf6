import { DataSource, QueryRunner } from 'typeorm';
import {
  CompliancePolicy,
  DEFAULT_COMPLIANCE_POLICY,
  DeviceState,
  DeviceView,
  DomainError,
  RegisteredDevice,
  describeDevice,
  deviceStreamId,
  evolveDevice,
  initialDeviceState,
  Judging,
  RecordedEvent,
  ReleaseCatalog,
  storedMessage,
  toDeviceEvent,
} from '@patchstate/domain';
import { PostgresEventStore } from '@patchstate/event-store';
import { withReadModelsAsOf } from '../as-of/read-models-as-of';
import { Page, decodeCursor, encodeCursor, isString } from '../paging/page';
import { loadReleaseCatalog, loadReleaseCatalogAsOf } from '../patch-catalog/catalog-reader';
import { ServicingIndex } from '../servicing/servicing-index';
import { DeviceListState, ServicingFilter, deviceListCondition, servicingCondition } from './device-list-conditions';

export * from './device-list-conditions';

const AS_OF_FOLD_PAGE = 1000;

export interface DeviceDocument extends DeviceView {
  version: number;
  position: string;
  updatedAt: string;
}

/**
 * Reads devices. What a device runs, its protection, eligibility and servicing path are judged at read time
 * against the catalog, so a release learnt later is reflected without touching every device row.
 */
export class DeviceQueries {
  /** `now` is the read side's clock (the domain has none): overdue and stale are judged at it, or at `asOf`. */
  constructor(
    private readonly db: DataSource,
    private readonly policy: CompliancePolicy = DEFAULT_COMPLIANCE_POLICY,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private judging(asOf?: string): Judging {
    return { at: asOf ?? this.now().toISOString(), policy: this.policy };
  }

  /** The device now (read model) or as of a time (folded from the log); DEVICE_NOT_FOUND when unknown then. */
  async device(deviceId: string, asOf?: string): Promise<DeviceDocument> {
    const device = asOf === undefined ? await this.findDevice(deviceId) : await this.findDeviceAsOf(deviceId, asOf);
    if (!device) {
      throw new DomainError('DEVICE_NOT_FOUND', `device ${deviceId} is not known${asOf ? ` as of ${asOf}` : ''}`, { deviceId });
    }
    return device;
  }

  async findDevice(deviceId: string): Promise<DeviceDocument | null> {
    const rows: DeviceRow[] = await this.db.query(
      'SELECT state, version, position, updated_at FROM device_state WHERE device_id = $1',
      [deviceId],
    );
    if (rows.length === 0) return null;
    return toDocument(rows[0], await loadReleaseCatalog(this.db), this.judging());
  }

  /**
   * The device as the log said at `asOf`: folded from the events recorded up to then (not the read model),
   * judged against the catalog as it stood then. Folded a page at a time, so a device with a long history is
   * never held in memory whole.
   */
  async findDeviceAsOf(deviceId: string, asOf: string): Promise<DeviceDocument | null> {
    let state: DeviceState = initialDeviceState;
    let last: RecordedEvent | null = null;
    const pages = new PostgresEventStore(this.db).readStreamPages(deviceStreamId(deviceId), { recordedUntil: asOf }, AS_OF_FOLD_PAGE);
    for await (const page of pages) {
      for (const event of page) state = evolveDevice(state, toDeviceEvent(storedMessage(event)));
      last = page[page.length - 1];
    }
    if (last === null || state.status === 'unregistered') return null;
    const catalog = await loadReleaseCatalogAsOf(this.db, asOf);
    const { recordedAt } = last.metadata;
    return { ...describeDevice(withLastSeen(state, recordedAt), catalog, this.judging(asOf)), version: last.version, position: last.position, updatedAt: recordedAt };
  }

  /** Devices in a list state and/or on a servicing path, paged by device id; with `asOf`, as the log said then. */
  async listDevices(
    state: DeviceListState | null,
    limit: number,
    cursor?: string,
    filter: ServicingFilter = {},
    asOf?: string,
  ): Promise<Page<DeviceDocument>> {
    const judging = this.judging(asOf);
    const list = (db: DataSource | QueryRunner) => listDevices(db, judging, { state, limit, cursor, filter });
    return asOf === undefined ? list(this.db) : withReadModelsAsOf(this.db, asOf, list);
  }
}

async function listDevices(
  db: DataSource | QueryRunner,
  judging: Judging,
  query: { state: DeviceListState | null; limit: number; cursor?: string; filter: ServicingFilter },
): Promise<Page<DeviceDocument>> {
  const { state, limit, filter } = query;
  const after = decodeCursor(query.cursor, isString);
  const catalog = await loadReleaseCatalog(db);
  const list = { servicing: await ServicingIndex.load(db, catalog, judging), judging };
  const params: unknown[] = [after, limit + 1];
  const conditions = [
    ...(state === null ? ['NOT d.retired'] : [deviceListCondition(state, list, params)]),
    ...(filter.path === undefined && filter.upToDate === undefined ? [] : [servicingCondition(filter, list, params)]),
  ];
  const rows: (DeviceRow & { device_id: string })[] = await db.query(
    `SELECT d.device_id, d.state, d.version, d.position, d.updated_at FROM device_state d
     WHERE ${conditions.join(' AND ')} AND ($1::text IS NULL OR d.device_id > $1)
     ORDER BY d.device_id LIMIT $2`,
    params,
  );
  const page = rows.slice(0, limit);
  return {
    items: page.map((row) => toDocument(row, catalog, judging)),
    nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].device_id) : null,
  };
}

interface DeviceRow {
  state: RegisteredDevice;
  version: number;
  position: string;
  updated_at: Date;
}

/** A row projected before lastSeenAt was kept for every report falls back to its last event's time (as LAST_SEEN does in SQL). */
function withLastSeen(state: RegisteredDevice, lastRecordedAt: string): RegisteredDevice {
  return state.lastSeenAt == null ? { ...state, lastSeenAt: lastRecordedAt } : state;
}

function toDocument(row: DeviceRow, catalog: ReleaseCatalog, judging: Judging): DeviceDocument {
  return {
    ...describeDevice(withLastSeen(row.state, new Date(row.updated_at).toISOString()), catalog, judging),
    version: row.version,
    position: String(row.position),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
