import { DataSource } from 'typeorm';
import {
  DeviceEvent,
  DeviceState,
  DeviceView,
  DomainError,
  PatchDefinition,
  RegisteredDevice,
  ValidationError,
  compareBuilds,
  describeDevice,
  deviceStreamId,
  evolveDevice,
  initialDeviceState,
} from '@patchstate/domain';
import { Page, decodeCursor, encodeCursor, isString } from '../paging/page';

const AS_OF_FOLD_PAGE = 1000;

export interface DeviceDocument extends DeviceView {
  version: number;
  position: string;
  updatedAt: string;
}

export const DEVICE_LIST_STATES = ['pending-commit', 'pending-restart', 'ineligible', 'up-to-date', 'hotpatched', 'retired'] as const;
export type DeviceListState = (typeof DEVICE_LIST_STATES)[number];

/**
 * SQL conditions on `device_state d` for each list. "up-to-date": nothing waits for a reboot and no
 * unrevoked hotpatch offered to the device's baseline is newer than what runs in memory.
 */
export const DEVICE_STATE_CONDITIONS: Record<DeviceListState, string> = {
  'pending-commit': 'NOT d.retired AND d.pending_commit',
  'pending-restart': 'NOT d.retired AND d.pending_restart',
  ineligible: 'NOT d.retired AND NOT d.device_eligible',
  hotpatched: "NOT d.retired AND jsonb_array_length(d.state->'memory'->'hotpatches') > 0",
  retired: 'd.retired',
  'up-to-date': `NOT d.retired AND NOT d.pending_commit AND NOT d.pending_restart AND NOT EXISTS (
      SELECT 1 FROM patch_catalog p
      WHERE p.kind = 'hotpatch' AND NOT p.revoked AND p.baseline_build = d.disk_baseline_build
        AND (p.build_major, p.build_revision) > (split_part(d.memory_build, '.', 1)::int, split_part(d.memory_build, '.', 2)::int))`,
};

/**
 * Reads devices. Eligibility is judged at read time against the newest hotpatch the catalog offers the
 * device's baseline, so publishing a patch is reflected without touching every device row.
 */
export class DeviceQueries {
  constructor(private readonly db: DataSource) {}

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
    return toDocument(rows[0], await this.newestHotpatchFor(rows[0].state.memory.baselineBuild));
  }

  /**
   * The device as the log said at `asOf`: folded from the events recorded up to then (not the read model),
   * with eligibility judged against the catalog as it stood then. Folded a page at a time, so a device with a
   * long history is never held in memory whole.
   */
  async findDeviceAsOf(deviceId: string, asOf: string): Promise<DeviceDocument | null> {
    let state: DeviceState = initialDeviceState;
    let last: { version: number; position: string; recorded_at: string } | null = null;
    for (;;) {
      const rows: { type: string; data: unknown; version: number; position: string; recorded_at: string }[] = await this.db.query(
        `SELECT type, data, version, position::text AS position, metadata->>'recordedAt' AS recorded_at FROM events
         WHERE stream_id = $1 AND recorded_at <= $2 AND version > $3 ORDER BY version LIMIT $4`,
        [deviceStreamId(deviceId), asOf, last?.version ?? 0, AS_OF_FOLD_PAGE],
      );
      for (const row of rows) state = evolveDevice(state, { type: row.type, data: row.data } as DeviceEvent);
      if (rows.length > 0) last = rows[rows.length - 1];
      if (rows.length < AS_OF_FOLD_PAGE) break;
    }
    if (last === null || state.status === 'unregistered') return null;
    const offer = await this.newestHotpatchAsOf(state.memory.baselineBuild, asOf);
    return { ...describeDevice(state, offer), version: last.version, position: last.position, updatedAt: last.recorded_at };
  }

  /** One query per page: each device row with the newest hotpatch offered to its baseline, joined laterally. */
  async listDevices(state: DeviceListState, limit: number, cursor?: string): Promise<Page<DeviceDocument>> {
    const after = decodeCursor(cursor, isString);
    const rows: (DeviceRow & { device_id: string; offer: PatchDefinition | null; offer_revoked: boolean | null })[] = await this.db.query(
      `SELECT d.device_id, d.state, d.version, d.position, d.updated_at, o.definition AS offer, o.revoked AS offer_revoked
       FROM device_state d
       LEFT JOIN LATERAL (
         SELECT p.definition, p.revoked FROM patch_catalog p
         WHERE p.kind = 'hotpatch' AND p.baseline_build = d.state->'memory'->>'baselineBuild'
         ORDER BY p.revoked, p.build_major DESC, p.build_revision DESC LIMIT 1
       ) o ON true
       WHERE ${DEVICE_STATE_CONDITIONS[state]} AND ($1::text IS NULL OR d.device_id > $1)
       ORDER BY d.device_id LIMIT $2`,
      [after, limit + 1],
    );
    const page = rows.slice(0, limit);
    const items = page.map((row) => toDocument(row, row.offer === null ? null : { patch: row.offer, revoked: row.offer_revoked === true }));
    return { items, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].device_id) : null };
  }

  async newestHotpatchFor(baselineBuild: string): Promise<{ patch: PatchDefinition; revoked: boolean } | null> {
    const rows: { definition: PatchDefinition; revoked: boolean }[] = await this.db.query(
      `SELECT definition, revoked FROM patch_catalog WHERE kind = 'hotpatch' AND baseline_build = $1
       ORDER BY revoked, build_major DESC, build_revision DESC LIMIT 1`,
      [baselineBuild],
    );
    return rows.length === 0 ? null : { patch: rows[0].definition, revoked: rows[0].revoked };
  }

  private async newestHotpatchAsOf(baselineBuild: string, asOf: string): Promise<{ patch: PatchDefinition; revoked: boolean } | null> {
    const rows: { data: PatchDefinition; revoked: boolean }[] = await this.db.query(
      `SELECT p.data, EXISTS (
           SELECT 1 FROM events r WHERE r.stream_id = p.stream_id AND r.type = 'PatchRevoked' AND r.recorded_at <= $2
         ) AS revoked
       FROM events p
       WHERE p.type = 'PatchPublished' AND p.recorded_at <= $2 AND p.data->>'kind' = 'hotpatch'
         AND p.data->>'baselineBuild' = $1`,
      [baselineBuild, asOf],
    );
    const offered = rows.sort((a, b) => Number(a.revoked) - Number(b.revoked) || compareBuilds(b.data.build, a.data.build));
    return offered.length === 0 ? null : { patch: offered[0].data, revoked: offered[0].revoked };
  }
}

interface DeviceRow {
  state: RegisteredDevice;
  version: number;
  position: string;
  updated_at: Date;
}

function toDocument(row: DeviceRow, offer: { patch: PatchDefinition; revoked: boolean } | null): DeviceDocument {
  return {
    ...describeDevice(row.state, offer),
    version: row.version,
    position: String(row.position),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export function parseDeviceListState(value: unknown): DeviceListState {
  if (typeof value !== 'string' || !(DEVICE_LIST_STATES as readonly string[]).includes(value)) {
    throw new ValidationError([{ field: 'state', message: `must be one of ${DEVICE_LIST_STATES.join(', ')}` }]);
  }
  return value as DeviceListState;
}
