import { DataSource, QueryRunner } from 'typeorm';
import { CompliancePolicy, DEFAULT_COMPLIANCE_POLICY, Judging, OFF_TRAIN_REASONS, SERVICING_PATHS, ServicingPath } from '@patchstate/domain';
import { withReadModelsAsOf } from '../as-of/read-models-as-of';
import { DEVICE_LIST_STATES, DeviceListState, deviceListCondition } from '../device-state/device-list-conditions';
import { loadReleaseCatalog } from '../patch-catalog/catalog-reader';
import { SERVICING_KEY, ServicingIndex } from '../servicing/servicing-index';

export interface FleetSummary {
  /** The time the fleet was judged at (now, or asOf): overdue and stale are relative to it. */
  judgedAt: string;
  devices: number;
  /** Active devices per list state: `stale` ones apart, and never among `up-to-date`; `overdue` past their deadline. */
  byState: Record<DeviceListState, number>;
  /** Active devices by servicing path, judged against the catalog. */
  byServicingPath: Record<ServicingPath, number>;
  /** Active devices on the LCU path, by why they left the hotpatch train. */
  byOffTrainReason: Record<string, number>;
  byIneligibilityReason: Record<string, number>;
}

export class FleetSummaryQueries {
  /** `now` is the read side's clock: the fleet is judged at it, or at `asOf`. */
  constructor(
    private readonly db: DataSource,
    private readonly policy: CompliancePolicy = DEFAULT_COMPLIANCE_POLICY,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The fleet now, from the read models, or as of a time, folded from the log. */
  async summary(asOf?: string): Promise<FleetSummary> {
    const judging = { at: asOf ?? this.now().toISOString(), policy: this.policy };
    const read = (db: DataSource | QueryRunner) => summarize(db, judging);
    return asOf === undefined ? read(this.db) : withReadModelsAsOf(this.db, asOf, read);
  }
}

async function summarize(db: DataSource | QueryRunner, judging: Judging): Promise<FleetSummary> {
  const servicing = await ServicingIndex.load(db, await loadReleaseCatalog(db), judging);
  const params: unknown[] = [];
  const conditions = DEVICE_LIST_STATES.map((state) => deviceListCondition(state, { servicing, judging }, params));
  const [counts]: Record<string, string>[] = await db.query(
    `SELECT count(*) AS devices, ${conditions.map((condition, i) => `count(*) FILTER (WHERE ${condition}) AS s${i}`).join(',\n')}
     FROM device_state d`,
    params,
  );
  const byKey: { key: string; devices: string }[] = await db.query(
    `SELECT ${SERVICING_KEY} AS key, count(*) AS devices FROM device_state d WHERE NOT d.retired GROUP BY 1`,
  );
  const byServicingPath = Object.fromEntries(SERVICING_PATHS.map((path) => [path, 0])) as Record<ServicingPath, number>;
  const byOffTrainReason: Record<string, number> = Object.fromEntries(OFF_TRAIN_REASONS.map((reason) => [reason, 0]));
  for (const row of byKey) {
    const assessment = servicing.get(row.key);
    if (assessment === undefined) continue;
    byServicingPath[assessment.path] += Number(row.devices);
    if (assessment.path === 'lcu') for (const reason of assessment.reasons) byOffTrainReason[reason] += Number(row.devices);
  }
  const reasons: { reason: string; devices: string }[] = await db.query(
    `SELECT reason, count(*) AS devices FROM device_state d, unnest(d.device_ineligibility) AS reason
     WHERE NOT d.retired GROUP BY reason ORDER BY reason`,
  );
  return {
    judgedAt: new Date(judging.at).toISOString(),
    devices: Number(counts.devices),
    byState: Object.fromEntries(DEVICE_LIST_STATES.map((state, i) => [state, Number(counts[`s${i}`])])) as Record<DeviceListState, number>,
    byServicingPath,
    byOffTrainReason,
    byIneligibilityReason: Object.fromEntries(reasons.map((r) => [r.reason, Number(r.devices)])),
  };
}
