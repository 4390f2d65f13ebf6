import { DataSource, QueryRunner } from 'typeorm';
import { Judging, RegisteredDevice, ReleaseCatalog, ServicingAssessment, ServicingPath, assessServicing } from '@patchstate/domain';

/**
 * SQL over `device_state d`: every fact the servicing assessment reads (product, architecture, the running
 * build and the hotpatch last applied in memory, general eligibility, an OS upgrade, a hotpatch failure, pending work
 * (commit, restart, a revert waiting for its reboot), retirement). Devices with one key are assessed alike, so a
 * fleet is judged once per key (a fleet runs few builds), always against the catalog as it is now: a release
 * learnt later changes the answer for devices already projected. Deadlines depend only on the offered release and
 * the judging time, which is one per query, so they need no key of their own.
 */
export const SERVICING_KEY = `concat_ws('|', d.state->'profile'->>'product', d.state->'profile'->>'architecture', d.memory_build,
  coalesce(d.state->'memory'->'hotpatches'->-1->>'patchId', '-'),
  d.device_eligible::text, array_to_string(d.device_ineligibility, ','), coalesce(d.state->>'osUpgradedAt', '-'),
  coalesce(d.state->'hotpatchFailure'->>'failedAt', '-'), d.pending_commit::text, d.pending_restart::text, d.retired::text,
  (jsonb_array_length(coalesce(d.state->'pendingRemoval', '[]'::jsonb)) > 0)::text)`;

/**
 * When the device was last heard from. Rows projected before issue 11 have no lastSeenAt (the code then kept only
 * check-ins): they fall back to the time of their last recorded event, the newest thing known about them, until a
 * rebuild folds their history with the current rule.
 */
export const LAST_SEEN = `coalesce((d.state->>'lastSeenAt')::timestamptz, d.updated_at)`;

export class ServicingIndex {
  private constructor(private readonly byKey: ReadonlyMap<string, ServicingAssessment>) {}

  static async load(db: DataSource | QueryRunner, catalog: ReleaseCatalog, judging: Judging): Promise<ServicingIndex> {
    const rows: { key: string; state: RegisteredDevice }[] = await db.query(
      `SELECT DISTINCT ON (key) key, state FROM (SELECT ${SERVICING_KEY} AS key, d.state FROM device_state d) k`,
    );
    return new ServicingIndex(new Map(rows.map((row) => [row.key, assessServicing(row.state, catalog, judging)])));
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
