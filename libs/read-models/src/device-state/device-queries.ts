import { DataSource } from 'typeorm';
import { DeviceView, PatchDefinition, RegisteredDevice, describeDevice } from '@patchstate/domain';

export interface DeviceDocument extends DeviceView {
  version: number;
  position: string;
  updatedAt: string;
}

/**
 * Reads devices from the read model. Eligibility is judged at read time against the newest hotpatch the
 * catalog offers the device's baseline, so publishing a patch is reflected without touching every device.
 */
export class DeviceQueries {
  constructor(private readonly db: DataSource) {}

  async findDevice(deviceId: string): Promise<DeviceDocument | null> {
    const rows: { state: RegisteredDevice; version: number; position: string; updated_at: Date }[] = await this.db.query(
      'SELECT state, version, position, updated_at FROM device_state WHERE device_id = $1',
      [deviceId],
    );
    if (rows.length === 0) return null;
    const row = rows[0];
    const offer = await this.newestHotpatchFor(row.state.memory.baselineBuild);
    return {
      ...describeDevice(row.state, offer),
      version: row.version,
      position: String(row.position),
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }

  async newestHotpatchFor(baselineBuild: string): Promise<{ patch: PatchDefinition; revoked: boolean } | null> {
    const rows: { definition: PatchDefinition; revoked: boolean }[] = await this.db.query(
      `SELECT definition, revoked FROM patch_catalog WHERE kind = 'hotpatch' AND baseline_build = $1
       ORDER BY revoked, build_major DESC, build_revision DESC LIMIT 1`,
      [baselineBuild],
    );
    return rows.length === 0 ? null : { patch: rows[0].definition, revoked: rows[0].revoked };
  }
}
