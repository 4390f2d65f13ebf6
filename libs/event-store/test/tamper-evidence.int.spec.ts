import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { DeviceEvent, deviceStreamId } from '@patchstate/domain';
import { EventToAppend, PostgresEventStore, chainHash, openDatabase, verifyHashChains } from '@patchstate/event-store';
import {
  APRIL_2025_BASELINE,
  DEVICE_AGENT,
  FEBRUARY_2025_HOTPATCH,
  MARCH_2025_HOTPATCH,
  MAY_2025_HOTPATCH,
  aDeviceHistory,
} from '../../../test/builders';
import { createTestDatabase } from '../../../test/support/test-database';

function recorded(event: DeviceEvent, at = '2025-02-12T09:30:00Z'): EventToAppend {
  return {
    type: event.type,
    data: event.data,
    metadata: { eventId: randomUUID(), occurredAt: at, recordedAt: at, actor: DEVICE_AGENT, correlationId: 'corr-tamper', causationId: null },
  };
}

/** Four devices with realistic histories: apply → reboot → stage a baseline → reboot → hotpatch on it → revert. */
function fleetHistories(): { deviceId: string; events: DeviceEvent[] }[] {
  return ['ws-0001', 'ws-0002', 'ws-0003', 'ws-0004'].map((deviceId) => ({
    deviceId,
    events: aDeviceHistory(deviceId)
      .registered()
      .applied(FEBRUARY_2025_HOTPATCH)
      .rebooted()
      .applied(MARCH_2025_HOTPATCH)
      .staged(APRIL_2025_BASELINE)
      .rebooted()
      .applied(MAY_2025_HOTPATCH)
      .reverted(MAY_2025_HOTPATCH).events,
  }));
}

describe('tamper evidence: verifyHashChains against rows edited behind the store', () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;
  let store: PostgresEventStore;
  /** A session that bypasses the append-only trigger, as someone with direct database access could. */
  let tamperer: Client;

  async function asTamperer<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await tamperer.query(sql, params)).rows as T[];
  }

  /** Runs `tamper`, checks what verification reports, then puts the original rows back. */
  async function whileTampered(streamId: string, tamper: () => Promise<void>, check: () => Promise<void>): Promise<void> {
    const originalEvents = await asTamperer<{ row: unknown }>('SELECT to_jsonb(e) AS row FROM events e WHERE stream_id = $1', [streamId]);
    const [originalHead] = await asTamperer<{ row: unknown }>('SELECT to_jsonb(s) AS row FROM streams s WHERE stream_id = $1', [streamId]);
    await tamper();
    try {
      await check();
    } finally {
      await asTamperer('DELETE FROM events WHERE stream_id = $1', [streamId]);
      await asTamperer('INSERT INTO events SELECT * FROM jsonb_populate_recordset(null::events, $1::jsonb)', [
        JSON.stringify(originalEvents.map((e) => e.row)),
      ]);
      await asTamperer('DELETE FROM streams WHERE stream_id = $1', [streamId]);
      await asTamperer('INSERT INTO streams SELECT * FROM jsonb_populate_record(null::streams, $1::jsonb)', [JSON.stringify(originalHead.row)]);
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDatabase(database.url);
    store = new PostgresEventStore(db);
    for (const { deviceId, events } of fleetHistories()) {
      let version = 0;
      for (const event of events) {
        version = (await store.append(deviceStreamId(deviceId), 'device', version, [recorded(event)])).result.version;
      }
    }
    // One long stream, appended 100 at a time, so verification has to carry the chain across its 1000-row pages.
    const long = 'device-long-history';
    const registered = aDeviceHistory('long-history').registered().events[0];
    let version = (await store.append(long, 'device', 0, [recorded(registered)])).result.version;
    for (let batch = 0; batch < 12; batch += 1) {
      const events = Array.from({ length: 100 }, (_, i) =>
        recorded({ type: 'HotpatchFailed', data: { deviceId: 'long-history', patchId: 'KB5052093', errorCode: `0x8000${String(batch * 100 + i).padStart(4, '0')}`, failedAt: '2025-02-12T09:30:00Z' } }),
      );
      version = (await store.append(long, 'device', version, events)).result.version;
    }
    // Device clocks send times at any precision and offset; an honest row must still verify.
    const precise = aDeviceHistory('precise-times').registered().events[0];
    const times = ['2025-02-12T09:30Z', '2025-02-12T09:30:00.1Z', '2025-02-12T09:30:00.123456+05:30', '2025-02-12T09:30:00.123456789-08:00'];
    await store.append('device-precise-times', 'device', 0, times.map((at) => recorded(precise, at)));
    tamperer = new Client({ connectionString: database.url });
    await tamperer.connect();
    await tamperer.query('SET session_replication_role = replica');
  });

  afterAll(async () => {
    await tamperer?.end().catch(() => undefined);
    if (db?.isInitialized) await db.destroy();
    await database?.drop();
  });

  it('an untouched store verifies ok, stream by stream and as a whole', async () => {
    expect(await verifyHashChains(db)).toEqual({ ok: true, streamsChecked: 6, eventsChecked: 4 * 8 + 1201 + 4, firstBroken: null });
    expect(await verifyHashChains(db, { streamId: 'device-ws-0002' })).toEqual({ ok: true, streamsChecked: 1, eventsChecked: 8, firstBroken: null });
    expect(await verifyHashChains(db, { streamId: 'device-unknown' })).toEqual({ ok: true, streamsChecked: 0, eventsChecked: 0, firstBroken: null });
  });

  it('an event whose data was edited is reported as exactly that event', async () => {
    await whileTampered(
      'device-ws-0003',
      async () => {
        // Pretend the March hotpatch fixed one CVE fewer than it did.
        await asTamperer(
          `UPDATE events SET data = jsonb_set(data, '{cves}', (data->'cves') - 0) WHERE stream_id = 'device-ws-0003' AND version = 4`,
        );
      },
      async () => {
        const expected = { streamId: 'device-ws-0003', version: 4, reason: 'content does not match its hash' };
        expect(await verifyHashChains(db)).toMatchObject({ ok: false, firstBroken: expected });
        expect(await verifyHashChains(db, { streamId: 'device-ws-0003' })).toMatchObject({ ok: false, firstBroken: expected });
        // The other streams are still intact.
        for (const other of ['device-ws-0001', 'device-ws-0002', 'device-ws-0004']) {
          expect(await verifyHashChains(db, { streamId: other })).toMatchObject({ ok: true });
        }
      },
    );
    expect(await verifyHashChains(db)).toMatchObject({ ok: true });
  });

  it('edited metadata (who did it, when) and a changed type are caught too', async () => {
    await whileTampered(
      'device-ws-0001',
      () => asTamperer(`UPDATE events SET metadata = jsonb_set(metadata, '{actor,id}', '"mallory"') WHERE stream_id = 'device-ws-0001' AND version = 2`).then(() => undefined),
      async () => {
        expect(await verifyHashChains(db)).toMatchObject({ ok: false, firstBroken: { streamId: 'device-ws-0001', version: 2 } });
      },
    );
    await whileTampered(
      'device-ws-0004',
      () => asTamperer(`UPDATE events SET type = 'HotpatchRejected' WHERE stream_id = 'device-ws-0004' AND version = 7`).then(() => undefined),
      async () => {
        expect(await verifyHashChains(db)).toMatchObject({ ok: false, firstBroken: { streamId: 'device-ws-0004', version: 7 } });
      },
    );
  });

  it('an edit of the columns that audit queries filter on (actor, times, ids, type) is caught, not only of the jsonb', async () => {
    // The audit trail is queried by these columns (indexed); they copy the hashed metadata and must agree with it.
    const edits = [
      `actor = 'mallory'`,
      `occurred_at = occurred_at - interval '1 day'`,
      `recorded_at = recorded_at + interval '1 hour'`,
      `correlation_id = 'corr-forged'`,
      `causation_id = 'cmd-forged'`,
      `event_id = '00000000-0000-4000-8000-000000000000'`,
      `schema_version = 2`,
      `stream_type = 'patch'`,
    ];
    for (const edit of edits) {
      await whileTampered(
        'device-ws-0003',
        () => asTamperer(`UPDATE events SET ${edit} WHERE stream_id = 'device-ws-0003' AND version = 2`).then(() => undefined),
        async () => {
          const report = await verifyHashChains(db);
          expect({ edit, report }).toMatchObject({ edit, report: { ok: false, firstBroken: { streamId: 'device-ws-0003', version: 2 } } });
        },
      );
    }
    expect(await verifyHashChains(db)).toMatchObject({ ok: true });
  });

  it('a deleted middle event is caught where the chain breaks', async () => {
    await whileTampered(
      'device-ws-0002',
      () => asTamperer(`DELETE FROM events WHERE stream_id = 'device-ws-0002' AND version = 5`).then(() => undefined),
      async () => {
        const report = await verifyHashChains(db);
        expect(report).toMatchObject({ ok: false, firstBroken: { streamId: 'device-ws-0002', version: 6, reason: 'version 5 is missing' } });
      },
    );
  });

  it('a deleted middle event with the later versions renumbered is caught by the broken prevHash link', async () => {
    await whileTampered(
      'device-ws-0002',
      async () => {
        await asTamperer(`DELETE FROM events WHERE stream_id = 'device-ws-0002' AND version = 5`);
        // Two steps, so the unique (stream_id, version) never sees two rows at one version mid-update.
        await asTamperer(`UPDATE events SET version = version + 1000 WHERE stream_id = 'device-ws-0002' AND version > 5`);
        await asTamperer(`UPDATE events SET version = version - 1001 WHERE stream_id = 'device-ws-0002' AND version > 1000`);
        await asTamperer(`UPDATE streams SET version = version - 1 WHERE stream_id = 'device-ws-0002'`);
      },
      async () => {
        expect(await verifyHashChains(db)).toMatchObject({
          ok: false,
          firstBroken: { streamId: 'device-ws-0002', version: 5, reason: 'prevHash does not match the previous event' },
        });
      },
    );
  });

  it('a deleted last event is caught by the stream head', async () => {
    await whileTampered(
      'device-ws-0004',
      () => asTamperer(`DELETE FROM events WHERE stream_id = 'device-ws-0004' AND version = 8`).then(() => undefined),
      async () => {
        expect(await verifyHashChains(db)).toMatchObject({ ok: false, firstBroken: { streamId: 'device-ws-0004', version: 8 } });
      },
    );
  });

  it('a rewritten hash is caught: garbage, or an edit with its own hash recomputed', async () => {
    await whileTampered(
      'device-ws-0001',
      () => asTamperer(`UPDATE events SET hash = repeat('0', 64) WHERE stream_id = 'device-ws-0001' AND version = 3`).then(() => undefined),
      async () => {
        expect(await verifyHashChains(db)).toMatchObject({
          ok: false,
          firstBroken: { streamId: 'device-ws-0001', version: 3, reason: 'content does not match its hash' },
        });
      },
    );
    await whileTampered(
      'device-ws-0001',
      async () => {
        // A careful forger edits version 3 and stores a matching hash for it: version 4's prevHash gives it away.
        const [row] = await asTamperer<{ stream_id: string; version: number; type: string; data: { bootId: string }; metadata: unknown; prev_hash: string }>(
          `SELECT stream_id, version, type, data, metadata, prev_hash FROM events WHERE stream_id = 'device-ws-0001' AND version = 3`,
        );
        const data = { ...row.data, bootId: 'forged-boot' };
        const hash = chainHash(row.prev_hash, { streamId: row.stream_id, version: row.version, type: row.type, data, metadata: row.metadata });
        await asTamperer(`UPDATE events SET data = $1, hash = $2 WHERE stream_id = 'device-ws-0001' AND version = 3`, [JSON.stringify(data), hash]);
      },
      async () => {
        expect(await verifyHashChains(db)).toMatchObject({
          ok: false,
          firstBroken: { streamId: 'device-ws-0001', version: 4, reason: 'prevHash does not match the previous event' },
        });
      },
    );
  });

  it('carries the chain across pages: an edit deep in a 1201-event stream is found at its version', async () => {
    await whileTampered(
      'device-long-history',
      () => asTamperer(`UPDATE events SET data = jsonb_set(data, '{errorCode}', '"0x80070005"') WHERE stream_id = 'device-long-history' AND version = 1100`).then(() => undefined),
      async () => {
        expect(await verifyHashChains(db, { streamId: 'device-long-history' })).toMatchObject({
          ok: false,
          eventsChecked: 1099,
          firstBroken: { streamId: 'device-long-history', version: 1100 },
        });
      },
    );
    expect(await verifyHashChains(db)).toEqual({ ok: true, streamsChecked: 6, eventsChecked: 4 * 8 + 1201 + 4, firstBroken: null });
  });
});
