import { DataSource, QueryRunner } from 'typeorm';
import { RegisteredDevice, ReleaseCatalog, ServicingAssessment, ServicingPath, assessServicing } from '@patchstate/domain';

/**
 * SQL over `device_state d`: every fact the servicing assessment reads (product, architecture, the running
 * build and the hotpatch last applied in memory, general eligibility, an OS upgrade, a hotpatch failure, pending work, retirement). Devices with one
 * key are assessed alike, so a fleet is judged once per key (a fleet runs few builds), always against the
 * catalog as it is now: a release learnt later changes the answer for devices already projected.
 */
export const SERVICING_KEY = `concat_ws('|', d.state->'profile'->>'product', d.state->'profile'->>'architecture', d.memory_build,
  coalesce(d.state->'memory'->'hotpatches'->-1->>'patchId', '-'),
  d.device_eligible::text, array_to_string(d.device_ineligibility, ','), coalesce(d.state->>'osUpgradedAt', '-'),
  coalesce(d.state->'hotpatchFailure'->>'failedAt', '-'), d.pending_commit::text, d.pending_restart::text, d.retired::text)`;

export class ServicingIndex {
  private constructor(private readonly byKey: ReadonlyMap<string, ServicingAssessment>) {}

  static async load(db: DataSource | QueryRunner, catalog: ReleaseCatalog): Promise<ServicingIndex> {
    const rows: { key: string; state: RegisteredDevice }[] = await db.query(
      `SELECT DISTINCT ON (key) key, state FROM (SELECT ${SERVICING_KEY} AS key, d.state FROM device_state d) k`,
    );
    return new ServicingIndex(new Map(rows.map((row) => [row.key, assessServicing(row.state, catalog)])));
  }

  get(key: string): ServicingAssessment | undefined {
    return this.byKey.get(key);
  }

  /** The keys whose devices match: for `${SERVICING_KEY} = ANY($n)`. */
  keys(accept: (assessment: ServicingAssessment) => boolean): string[] {
    return [...this.byKey].filter(([, assessment]) => accept(assessment)).map(([key]) => key);
  }
}

export const SERVICING_FILTERS = ['hotpatch', 'lcu', 'ineligible', 'unknown-build'] as const satisfies readonly ServicingPath[];
