import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EventLog, EventToAppend, LogFilter, Outbox, PostgresEventStore, openDatabase } from '@patchstate/event-store';
import { DEVICE_AGENT } from '../../../test/builders';
import { createTestDatabase } from '../../../test/support/test-database';

function anEvent(type: string, recordedAt: string): EventToAppend {
  return {
    type,
    data: {},
    metadata: { eventId: randomUUID(), occurredAt: recordedAt, recordedAt, actor: DEVICE_AGENT, correlationId: 'corr-log', causationId: null },
  };
}

describe('EventLog.readAll and the Outbox (real Postgres)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;
  let log: EventLog;

  /** Every page's positions, so a test sees both the selection and how it was paged. */
  const pages = async (filter: LogFilter, pageSize: number): Promise<string[][]> => {
    const read: string[][] = [];
    for await (const page of log.readAll(filter, pageSize)) read.push(page.map((event) => `${event.streamId}@${event.version}`));
    return read;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDatabase(database.url);
    log = new EventLog(db);
    const store = new PostgresEventStore(db);
    // Positions 1..5, in this order.
    await store.append('device-a', 'device', 0, [anEvent('DeviceRegistered', '2025-01-01T00:00:00Z'), anEvent('HotpatchFailed', '2025-02-01T00:00:00Z')]);
    await store.append('patch-KB1', 'patch', 0, [anEvent('PatchPublished', '2025-02-15T00:00:00Z')]);
    await store.append('device-b', 'device', 0, [anEvent('DeviceRegistered', '2025-03-01T00:00:00Z')]);
    await store.append('device-a', 'device', 2, [anEvent('HotpatchFailed', '2025-04-01T00:00:00Z')]);
  });

  afterAll(async () => {
    if (db?.isInitialized) await db.destroy();
    await database?.drop();
  });

  it('reads the whole log in position order, a page at a time, with each event\'s stream type', async () => {
    expect(await pages({}, 2)).toEqual([['device-a@1', 'device-a@2'], ['patch-KB1@1', 'device-b@1'], ['device-a@3']]);
    const { value: [first] } = await log.readAll({}, 1).next();
    expect(first).toMatchObject({ position: '1', streamType: 'device', type: 'DeviceRegistered' });
  });

  it('bounds by position and recorded time, and filters by stream type, event type and stream', async () => {
    expect(await pages({ after: '1', to: '4' }, 10)).toEqual([['device-a@2', 'patch-KB1@1', 'device-b@1']]);
    expect(await pages({ fromTime: new Date('2025-02-01T00:00:00Z'), toTime: new Date('2025-03-01T00:00:00Z') }, 10)).toEqual([
      ['device-a@2', 'patch-KB1@1', 'device-b@1'],
    ]);
    expect(await pages({ streamType: 'patch' }, 10)).toEqual([['patch-KB1@1']]);
    expect(await pages({ types: ['HotpatchFailed'] }, 10)).toEqual([['device-a@2', 'device-a@3']]);
    expect(await pages({ streamIds: ['device-b', 'patch-KB1'] }, 10)).toEqual([['patch-KB1@1', 'device-b@1']]);
    expect(await log.count({ streamType: 'device', after: '1' })).toBe(3);
  });

  it('the outbox hands out the oldest unpublished events and forgets them once marked published', async () => {
    const outbox = new Outbox(db);
    expect(await outbox.pendingCount()).toBe(5);
    const claimed = await outbox.claim(2);
    expect(claimed.map((event) => [event.position, event.streamType])).toEqual([['1', 'device'], ['2', 'device']]);
    // Claiming alone publishes nothing: a relay that crashes before Kafka acknowledged gets the same events again.
    expect((await outbox.claim(2)).map((event) => event.position)).toEqual(['1', '2']);
    await outbox.markPublished(claimed.map((event) => event.position));
    expect((await outbox.claim(10)).map((event) => event.position)).toEqual(['3', '4', '5']);
    expect(await outbox.pendingCount()).toBe(3);
  });
});
