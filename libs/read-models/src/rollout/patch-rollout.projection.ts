import { QueryRunner } from 'typeorm';
import { toDeviceEvent } from '@patchstate/domain';
import { EventEnvelope } from '@patchstate/messaging';
import { Projection } from '../engine/projection';

type Flags = Partial<{ in_memory: boolean; on_disk: boolean; reverted: boolean; rejected_reasons: string[] }>;

/**
 * `patch_rollout`: one row per (patch, device) that ever touched it, with where the patch is now on that
 * device (memory, disk), failures, reverts and the reasons of its latest refusal.
 */
export class PatchRolloutProjection implements Projection {
  readonly name = 'patch_rollout';
  readonly tables = ['patch_rollout'];

  handles(envelope: EventEnvelope): boolean {
    return (
      envelope.streamType === 'device' &&
      ['HotpatchApplied', 'HotpatchRejected', 'HotpatchFailed', 'HotpatchReverted', 'DeviceRebooted', 'DeviceRetired'].includes(
        envelope.type,
      )
    );
  }

  async apply(tx: QueryRunner, envelope: EventEnvelope): Promise<void> {
    const event = toDeviceEvent({ type: envelope.type, schemaVersion: envelope.schemaVersion ?? 1, data: envelope.data });
    const at = envelope.metadata.occurredAt;
    switch (event.type) {
      case 'HotpatchApplied':
        return this.set(tx, event.data.patchId, event.data.deviceId, at, { in_memory: true, reverted: false, rejected_reasons: [] });
      case 'HotpatchRejected':
        if (event.data.reasons.includes('DEVICE_RETIRED')) return;
        return this.set(tx, event.data.patchId, event.data.deviceId, at, { rejected_reasons: event.data.reasons });
      case 'HotpatchFailed':
        await this.set(tx, event.data.patchId, event.data.deviceId, at, {});
        await tx.query('UPDATE patch_rollout SET failures = failures + 1 WHERE patch_id = $1 AND device_id = $2', [
          event.data.patchId,
          event.data.deviceId,
        ]);
        return;
      case 'HotpatchReverted': {
        // Since v2 the uninstalled hotpatch keeps running until the reboot (which then removes it); v1 left at once.
        const data = toDeviceEvent({ type: envelope.type, schemaVersion: envelope.schemaVersion ?? 1, data: envelope.data }).data as typeof event.data;
        return this.set(tx, data.patchId, data.deviceId, at, data.leavesMemoryAtReboot ? { reverted: true } : { in_memory: false, reverted: true });
      }
      case 'DeviceRebooted': {
        const { deviceId, committed, superseded, removed } = event.data;
        for (const patchId of committed) await this.set(tx, patchId, deviceId, at, { on_disk: true });
        for (const patchId of [...superseded, ...removed]) await this.set(tx, patchId, deviceId, at, { in_memory: false, on_disk: false });
        return;
      }
      case 'DeviceRetired':
        // A retired device no longer counts towards any rollout.
        await tx.query('DELETE FROM patch_rollout WHERE device_id = $1', [event.data.deviceId]);
        return;
      default:
        return;
    }
  }

  private async set(tx: QueryRunner, patchId: string, deviceId: string, at: string, flags: Flags): Promise<void> {
    const columns = Object.keys(flags) as (keyof Flags)[];
    const values = columns.map((column) => flags[column]);
    const assignments = columns.map((column, index) => `${column} = $${index + 4}`);
    await tx.query(
      `INSERT INTO patch_rollout (patch_id, device_id, updated_at ${columns.map((c) => `, ${c}`).join('')})
       VALUES ($1, $2, $3 ${columns.map((_, index) => `, $${index + 4}`).join('')})
       ON CONFLICT (patch_id, device_id) DO UPDATE SET updated_at = $3 ${assignments.map((a) => `, ${a}`).join('')}`,
      [patchId, deviceId, at, ...values],
    );
  }
}
