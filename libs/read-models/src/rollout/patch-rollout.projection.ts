import { QueryRunner } from 'typeorm';
import { toDeviceEvent } from '@patchstate/domain';
import { EventEnvelope } from '@patchstate/messaging';
import { Projection } from '../engine/projection';

type Flags = Partial<{ in_memory: boolean; on_disk: boolean; reverted: boolean; rejected_reasons: string[] }>;

/** What one event does to `patch_rollout`: set flags on a (patch, device) row, or drop a device's rows. */
type RolloutChange = { patchId: string; deviceId: string; at: string; flags: Flags; failed?: true } | { retired: string };

/** A `patch_rollout` row, as loaded and as written back. */
interface RolloutRow {
  patch_id: string;
  device_id: string;
  in_memory: boolean;
  on_disk: boolean;
  failures: number;
  reverted: boolean;
  rejected_reasons: string[];
  updated_at: string | Date;
}

const ROLLOUT_EVENT_TYPES = ['HotpatchApplied', 'HotpatchRejected', 'HotpatchFailed', 'HotpatchReverted', 'DeviceRebooted', 'DeviceRetired'];

/**
 * `patch_rollout`: one row per (patch, device) that ever touched it, with where the patch is now on that
 * device (memory, disk), failures, reverts and the reasons of its latest refusal.
 *
 * Set-based: a batch reads the rows its events change in one query, folds the changes in memory and writes
 * back with at most one DELETE (retired devices) and one multi-row upsert.
 */
export class PatchRolloutProjection implements Projection {
  readonly name = 'patch_rollout';
  readonly tables = ['patch_rollout'];

  handles(envelope: EventEnvelope): boolean {
    return envelope.streamType === 'device' && ROLLOUT_EVENT_TYPES.includes(envelope.type);
  }

  /** One event is a batch of one: the isolated retry runs the very same fold and writes. */
  async apply(tx: QueryRunner, envelope: EventEnvelope): Promise<void> {
    await this.applyBatch(tx, [envelope]);
  }

  async applyBatch(tx: QueryRunner, envelopes: readonly EventEnvelope[]): Promise<void> {
    const changes = envelopes.flatMap(rolloutChanges);
    if (changes.length === 0) return;
    const pairs = changes.flatMap((change) => ('retired' in change ? [] : [change]));
    // By primary key: the rows the changes set. A retirement needs no rows, it removes them all (below).
    const loaded: RolloutRow[] = await tx.query(
      `SELECT patch_id, device_id, in_memory, on_disk, failures, reverted, rejected_reasons, updated_at
       FROM patch_rollout WHERE (patch_id, device_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [pairs.map((change) => change.patchId), pairs.map((change) => change.deviceId)],
    );
    const rows = new Map(loaded.map((row) => [rowKey(row.patch_id, row.device_id), row]));
    const touched = new Set<string>();
    const retired = new Set<string>();
    for (const change of changes) {
      if ('retired' in change) {
        // What the DELETE below does to the table: a later change of this device starts from a new row.
        for (const [key, row] of rows) {
          if (row.device_id !== change.retired) continue;
          rows.delete(key);
          touched.delete(key);
        }
        retired.add(change.retired);
        continue;
      }
      const key = rowKey(change.patchId, change.deviceId);
      const row: RolloutRow = rows.get(key) ?? { ...NEW_ROW, patch_id: change.patchId, device_id: change.deviceId, updated_at: change.at };
      rows.set(key, { ...row, ...change.flags, updated_at: change.at, failures: row.failures + (change.failed ? 1 : 0) });
      touched.add(key);
    }
    if (retired.size > 0) await tx.query('DELETE FROM patch_rollout WHERE device_id = ANY($1::text[])', [[...retired]]);
    await upsertRolloutRows(tx, [...touched].map((key) => rows.get(key)!));
  }
}

/** The column defaults of a row the first event about a (patch, device) creates. */
const NEW_ROW = { in_memory: false, on_disk: false, failures: 0, reverted: false, rejected_reasons: [] as string[] };

function rowKey(patchId: string, deviceId: string): string {
  return `${patchId}\u0000${deviceId}`;
}

function rolloutChanges(envelope: EventEnvelope): RolloutChange[] {
  const event = toDeviceEvent({ type: envelope.type, schemaVersion: envelope.schemaVersion ?? 1, data: envelope.data });
  const at = envelope.metadata.occurredAt;
  const set = (patchId: string, deviceId: string, flags: Flags): RolloutChange => ({ patchId, deviceId, at, flags });
  switch (event.type) {
    case 'HotpatchApplied':
      return [set(event.data.patchId, event.data.deviceId, { in_memory: true, reverted: false, rejected_reasons: [] })];
    case 'HotpatchRejected':
      if (event.data.reasons.includes('DEVICE_RETIRED')) return [];
      return [set(event.data.patchId, event.data.deviceId, { rejected_reasons: event.data.reasons })];
    case 'HotpatchFailed':
      return [{ ...set(event.data.patchId, event.data.deviceId, {}), failed: true }];
    case 'HotpatchReverted': {
      // Since v2 the uninstalled hotpatch keeps running until the reboot (which then removes it); v1 left at once.
      const { patchId, deviceId, leavesMemoryAtReboot } = event.data;
      return [set(patchId, deviceId, leavesMemoryAtReboot ? { reverted: true } : { in_memory: false, reverted: true })];
    }
    case 'DeviceRebooted': {
      const { deviceId, committed, superseded, removed } = event.data;
      return [
        ...committed.map((patchId) => set(patchId, deviceId, { on_disk: true })),
        ...[...superseded, ...removed].map((patchId) => set(patchId, deviceId, { in_memory: false, on_disk: false })),
      ];
    }
    case 'DeviceRetired':
      // A retired device no longer counts towards any rollout.
      return [{ retired: event.data.deviceId }];
    default:
      return [];
  }
}

/** Every touched row in one statement, each key once (an upsert cannot touch the same row twice). */
async function upsertRolloutRows(tx: QueryRunner, rows: readonly RolloutRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO patch_rollout (patch_id, device_id, in_memory, on_disk, failures, reverted, rejected_reasons, updated_at)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(patch_id text, device_id text, in_memory boolean, on_disk boolean,
       failures integer, reverted boolean, rejected_reasons text[], updated_at timestamptz)
     ON CONFLICT (patch_id, device_id) DO UPDATE SET in_memory = EXCLUDED.in_memory, on_disk = EXCLUDED.on_disk,
       failures = EXCLUDED.failures, reverted = EXCLUDED.reverted, rejected_reasons = EXCLUDED.rejected_reasons,
       updated_at = EXCLUDED.updated_at`,
    [JSON.stringify(rows)],
  );
}
