import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Actor, DeviceEvent, EventMetadata, deviceStreamId } from '@patchstate/domain';
import { CURRENT_SCHEMA_VERSION, chainHash } from '@patchstate/event-store';
import { FEBRUARY_2025_HOTPATCH, aDeviceProfile } from '../builders';

export const LONG_HISTORY_ACTOR: Actor = { id: 'agent:long-history', role: 'device-agent' };
export const LONG_HISTORY_START = '2025-01-20T08:00:00Z';

/** What the decider records for a device that keeps failing to install a hotpatch and keeps reporting VBS. */
function eventAt(deviceId: string, version: number, at: string): DeviceEvent {
  if (version === 1) {
    return { type: 'DeviceRegistered', data: { deviceId, hostname: `${deviceId}.corp.contoso.example`, profile: aDeviceProfile(), registeredAt: at } };
  }
  if (version % 10 === 0) {
    const vbs = version % 20 === 0 ? 'running' : 'enabled';
    return { type: 'DeviceProfileReported', data: { deviceId, changes: { vbs }, profile: aDeviceProfile({ vbs }), reportedAt: at, atRestart: {} } };
  }
  const errorCode = version % 3 === 0 ? '0x800f0922' : '0x80070005';
  return { type: 'HotpatchFailed', data: { deviceId, patchId: FEBRUARY_2025_HOTPATCH.patchId, errorCode, failedAt: at } };
}

/**
 * Appends a device stream of `count` events straight into the event store's tables, with the real hash
 * chain (chainHash over the same content the store hashes) and positions taken from the store's counter,
 * in one transaction and a few multi-row statements: deciding 10,000 commands one by one would take minutes.
 * No outbox rows: these events are for the audit side, which reads the store, not the projections.
 * Event i is recorded one minute after event i-1, from LONG_HISTORY_START.
 */
export async function appendLongHistory(databaseUrl: string, deviceId: string, count: number): Promise<{ streamId: string; lastHash: string }> {
  const streamId = deviceStreamId(deviceId);
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    const counter = await client.query<{ last_position: string }>(
      'UPDATE event_store_position SET last_position = last_position + $1 RETURNING last_position',
      [count],
    );
    const firstPosition = BigInt(counter.rows[0].last_position) - BigInt(count) + 1n;
    let prevHash: string | null = null;
    const CHUNK = 2000;
    for (let start = 1; start <= count; start += CHUNK) {
      const rows: Record<string, unknown>[] = [];
      for (let version = start; version < start + CHUNK && version <= count; version += 1) {
        const at = new Date(Date.parse(LONG_HISTORY_START) + (version - 1) * 60_000).toISOString();
        const event = eventAt(deviceId, version, at);
        const metadata: EventMetadata = {
          eventId: randomUUID(),
          occurredAt: at,
          recordedAt: at,
          actor: LONG_HISTORY_ACTOR,
          correlationId: `corr-long-${version}`,
          causationId: `cmd-long-${version}`,
          schemaVersion: CURRENT_SCHEMA_VERSION,
        };
        const hash = chainHash(prevHash, { streamId, version, type: event.type, data: event.data, metadata });
        rows.push({
          position: String(firstPosition + BigInt(version - 1)),
          stream_id: streamId,
          stream_type: 'device',
          version,
          event_id: metadata.eventId,
          type: event.type,
          schema_version: metadata.schemaVersion,
          data: event.data,
          metadata,
          occurred_at: at,
          recorded_at: at,
          actor: LONG_HISTORY_ACTOR.id,
          correlation_id: metadata.correlationId,
          causation_id: metadata.causationId,
          prev_hash: prevHash,
          hash,
        });
        prevHash = hash;
      }
      await client.query(
        `INSERT INTO events (position, stream_id, stream_type, version, event_id, type, schema_version, data, metadata,
                             occurred_at, recorded_at, actor, correlation_id, causation_id, prev_hash, hash)
         SELECT position, stream_id, stream_type, version, event_id, type, schema_version, data, metadata,
                occurred_at, recorded_at, actor, correlation_id, causation_id, prev_hash, hash
         FROM jsonb_to_recordset($1::jsonb) AS r(position bigint, stream_id text, stream_type text, version int, event_id uuid,
              type text, schema_version int, data jsonb, metadata jsonb, occurred_at timestamptz, recorded_at timestamptz,
              actor text, correlation_id text, causation_id text, prev_hash text, hash text)`,
        [JSON.stringify(rows)],
      );
    }
    await client.query('INSERT INTO streams (stream_id, stream_type, version, last_hash) VALUES ($1, $2, $3, $4)', [
      streamId,
      'device',
      count,
      prevHash,
    ]);
    await client.query('COMMIT');
    return { streamId, lastHash: prevHash as string };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
