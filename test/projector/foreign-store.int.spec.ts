import { DataSource } from 'typeorm';
import { openDatabase, readStoreId } from '@patchstate/event-store';
import { EventEnvelope } from '@patchstate/messaging';
import { ProjectionEngine, allProjections } from '@patchstate/read-models';
import { createTestDatabase } from '../support/test-database';

/**
 * Regression: a database recreated under a kept topic projected the old database's events into the new
 * read model (device-d1 of the old store shadowed device-d1 of the new one, and `replay verify` found the
 * difference). Events now carry their store's identity, and another store's events are set apart.
 */
describe('events of another event store are set apart, not applied', () => {
  let db: DataSource;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    db = await openDatabase(database.url, { poolSize: 2 });
  });

  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  const registered = (storeId: string | undefined, hostname: string): EventEnvelope => ({
    ...(storeId ? { storeId } : {}),
    eventId: `00000000-0000-4000-8000-${hostname.padStart(12, '0').slice(-12)}`,
    type: 'DeviceRegistered',
    schemaVersion: 1,
    streamId: 'device-d1',
    streamType: 'device',
    version: 1,
    position: '1',
    data: {
      deviceId: 'd1',
      hostname,
      profile: { product: 'windows-11', edition: 'enterprise', architecture: 'x64', build: '26100.2894', vbs: 'running', chpeDisabled: false, hotpatchEnabled: true },
      registeredAt: '2025-01-20T08:00:00Z',
    },
    metadata: {
      eventId: 'e',
      occurredAt: '2025-01-20T08:00:00Z',
      recordedAt: '2025-01-20T08:00:00Z',
      actor: { id: 'a', role: 'admin' },
      correlationId: 'c',
      causationId: null,
      schemaVersion: 1,
    },
    hash: 'h',
    prevHash: null,
  });

  it('parks a foreign event under a stream of its own and applies ours', async () => {
    const ours = await readStoreId(db);
    const engine = new ProjectionEngine(db, allProjections());
    const foreign = registered('11111111-1111-4111-8111-111111111111', '1');
    const outcome = await engine.applyBatch({ group: 'g', topic: 't', partition: 0 }, [
      { offset: '0', envelope: foreign, raw: JSON.stringify(foreign) },
      { offset: '1', envelope: registered(ours, '2'), raw: '' },
    ], '2');
    expect(outcome).toEqual({ applied: 1, skippedAsDuplicate: 0, parked: 1 });
    const [device] = await db.query("SELECT hostname FROM device_state WHERE device_id = 'd1'");
    expect(device.hostname).toBe('2');
    const [parked] = await db.query('SELECT stream_id, error FROM dead_letters');
    expect(parked.stream_id).toBe('foreign:11111111-1111-4111-8111-111111111111:device-d1');
    expect(parked.error).toContain(ours);
  });

  it('sets apart an event that carries no store identity at all', async () => {
    const engine = new ProjectionEngine(db, allProjections());
    const unstamped = { ...registered(undefined, '3'), streamId: 'device-d2', data: { ...registered(undefined, '3').data as object, deviceId: 'd2' } };
    const outcome = await engine.applyBatch(null, [{ offset: '0', envelope: unstamped, raw: '' }], null);
    expect(outcome.parked).toBe(1);
    expect(await db.query("SELECT 1 FROM device_state WHERE device_id = 'd2'")).toEqual([]);
    const [parked] = await db.query("SELECT stream_id, error FROM dead_letters WHERE stream_id LIKE '%device-d2'");
    expect(parked).toMatchObject({ stream_id: 'foreign:unknown:device-d2', error: expect.stringContaining('no event store identity') });
  });
});
