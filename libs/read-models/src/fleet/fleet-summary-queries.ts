import { DataSource } from 'typeorm';
import { DEVICE_LIST_STATES, DEVICE_STATE_CONDITIONS, DeviceListState } from '../device-state/device-queries';

export interface FleetSummary {
  devices: number;
  byState: Record<DeviceListState, number>;
  byIneligibilityReason: Record<string, number>;
}

export class FleetSummaryQueries {
  constructor(private readonly db: DataSource) {}

  async summary(): Promise<FleetSummary> {
    const [counts]: Record<string, string>[] = await this.db.query(
      `SELECT count(*) AS devices,
              ${DEVICE_LIST_STATES.map((state, i) => `count(*) FILTER (WHERE ${DEVICE_STATE_CONDITIONS[state]}) AS s${i}`).join(',\n')}
       FROM device_state d`,
    );
    const reasons: { reason: string; devices: string }[] = await this.db.query(
      `SELECT reason, count(*) AS devices FROM device_state d, unnest(d.device_ineligibility) AS reason
       WHERE NOT d.retired GROUP BY reason ORDER BY reason`,
    );
    return {
      devices: Number(counts.devices),
      byState: Object.fromEntries(DEVICE_LIST_STATES.map((state, i) => [state, Number(counts[`s${i}`])])) as Record<DeviceListState, number>,
      byIneligibilityReason: Object.fromEntries(reasons.map((r) => [r.reason, Number(r.devices)])),
    };
  }
}
