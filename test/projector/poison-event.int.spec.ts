import { readStoreId } from '@patchstate/event-store';
import { Kafka, Message } from 'kafkajs';
import { EventEnvelope } from '@patchstate/messaging';
import { DeadLetterService, DeviceQueries, RolloutQueries, allProjections } from '@patchstate/read-models';
import { aDeviceHistory } from '../builders';
import { KafkaProjector } from '../../apps/projector/src/kafka-projector';
import { uniqueName } from '../support/test-database';
import {
  EnvelopeFactory,
  TestDatabase,
  createTestTopic,
  deadLetters,
  envelopeMessage,
  kafkaForTests,
  newProjector,
  openTestDatabase,
  publish,
  waitUntilProjected,
} from './projector-fixture';
import { FEB, MAR } from './scripted-fleet';

/** Registered, February applied, rebooted (committed), March applied: four events. */
const historyOf = (deviceId: string) => aDeviceHistory(deviceId).registered().applied(FEB).rebooted().applied(MAR).events;

/** Interleaves streams one event at a time, as a busy partition would carry them. */
function interleave<T>(...streams: T[][]): T[] {
  const longest = Math.max(...streams.map((s) => s.length));
  return Array.from({ length: longest }, (_, i) => streams.flatMap((s) => (i < s.length ? [s[i]] : []))).flat();
}

describe('a poison event parks only its device', () => {
  let database: TestDatabase;
  let kafka: Kafka;
  let topic: { topic: string; remove(): Promise<void> };
  let groupId: string;
  let projector: KafkaProjector;
  let envelopes: EnvelopeFactory;
  let poisoned: EventEnvelope[];
  let healthy: EventEnvelope[];

  beforeAll(async () => {
    database = await openTestDatabase();
    envelopes = new EnvelopeFactory(await readStoreId(database.db));
    kafka = kafkaForTests();
    // One partition: the devices that must go on share it with the poisoned one.
    topic = await createTestTopic(kafka, 1);
    groupId = uniqueName('poison-int');
    poisoned = envelopes.stream('ws-p', historyOf('ws-p'));
    // The agent reported February with a build that is no build at all: the projection cannot fold it.
    poisoned[1] = { ...poisoned[1], data: { ...(poisoned[1].data as object), build: 'twenty-six-thousand' } };
    healthy = envelopes.stream('ws-q', historyOf('ws-q'));
    const other = envelopes.stream('ws-r', historyOf('ws-r'));
    await publish(kafka, topic.topic, interleave(poisoned, healthy, other).map(envelopeMessage));
    projector = newProjector(kafka, database.db, { topic: topic.topic, groupId });
    await projector.start();
    await waitUntilProjected(kafka, database.db, groupId, topic.topic);
  });

  afterAll(async () => {
    await projector?.stop();
    await topic?.remove();
    await database?.close();
  });

  it('lands in dead_letters with the error, and that device\'s later events wait behind it, in order', async () => {
    expect(await deadLetters(database.db, groupId)).toEqual([
      expect.objectContaining({ stream_id: 'device-ws-p', version: 2, event_type: 'HotpatchApplied', status: 'parked', error: expect.stringContaining('not a build: twenty-six-thousand') }),
      expect.objectContaining({ stream_id: 'device-ws-p', version: 3, event_type: 'DeviceRebooted', status: 'parked', error: expect.stringContaining('waiting behind') }),
      expect.objectContaining({ stream_id: 'device-ws-p', version: 4, event_type: 'HotpatchApplied', status: 'parked', error: expect.stringContaining('waiting behind') }),
    ]);
    expect(projector.metrics.eventsParked).toBe(3);
    // Nothing of the poisoned event, nor of those behind it, reached any read model.
    expect(await new DeviceQueries(database.db).findDevice('ws-p')).toMatchObject({ version: 1, memory: { hotpatches: [] } });
    const versions: { projection: string; version: number }[] = await database.db.query(
      `SELECT projection, version FROM projection_stream_versions WHERE stream_id = 'device-ws-p' ORDER BY projection`,
    );
    expect(versions).toEqual([{ projection: 'device_state', version: 1 }]);
  });

  it('lets the other devices of the same partition go on', async () => {
    const devices = new DeviceQueries(database.db);
    for (const deviceId of ['ws-q', 'ws-r']) {
      expect(await devices.findDevice(deviceId)).toMatchObject({
        version: 4,
        memory: { hotpatches: [FEB.patchId, MAR.patchId] },
        disk: { hotpatches: [FEB.patchId] },
        pendingCommit: [MAR.patchId],
      });
    }
    expect(await new RolloutQueries(database.db).rollout(FEB.patchId)).toMatchObject({ appliedInMemory: 2, committedOnDisk: 2 });
  });

  it('keeps parking what arrives later for that device while later events of others are applied', async () => {
    const parkedBefore = projector.metrics.eventsParked;
    const appliedBefore = projector.metrics.eventsApplied;
    const nextReboot = (deviceId: string) => aDeviceHistory(deviceId).registered().applied(FEB).rebooted().applied(MAR).rebooted().events.slice(4);
    const lateP = envelopes.stream('ws-p', nextReboot('ws-p'), 5);
    const lateQ = envelopes.stream('ws-q', nextReboot('ws-q'), 5);
    await publish(kafka, topic.topic, [...lateP, ...lateQ].map(envelopeMessage));
    await waitUntilProjected(kafka, database.db, groupId, topic.topic);

    expect(projector.metrics.eventsParked - parkedBefore).toBe(1);
    expect(projector.metrics.eventsApplied - appliedBefore).toBe(1);
    expect((await deadLetters(database.db, groupId)).map((d) => `${d.stream_id}@${d.version}`)).toEqual([
      'device-ws-p@2',
      'device-ws-p@3',
      'device-ws-p@4',
      'device-ws-p@5',
    ]);
    expect(await new DeviceQueries(database.db).findDevice('ws-q')).toMatchObject({ version: 5, pendingCommit: [] });
  });

  it('records every unreadable message with its error and goes on', async () => {
    const unreadable: Message[] = [
      { key: 'device-ws-s', value: '{"type":"HotpatchApplied", truncated' },
      { key: 'device-ws-s', value: JSON.stringify({ hello: 'not an envelope' }) },
    ];
    const after = envelopes.stream('ws-t', aDeviceHistory('ws-t').registered().events);
    await publish(kafka, topic.topic, [...unreadable, ...after.map(envelopeMessage)]);
    await waitUntilProjected(kafka, database.db, groupId, topic.topic);

    const parked = (await deadLetters(database.db, groupId)).filter((d) => d.stream_id === 'unreadable');
    expect(parked).toEqual([
      expect.objectContaining({ event_type: 'unknown', status: 'parked', error: expect.stringMatching(/JSON/) }),
      expect.objectContaining({ event_type: 'unknown', status: 'parked', error: 'message is not an event envelope' }),
    ]);
    expect(await new DeviceQueries(database.db).findDevice('ws-t')).toMatchObject({ version: 1 });

    // ws-s's unreadable messages hold back its later events: they wait, in order, until an operator acts.
    const sLater = envelopes.stream('ws-s', aDeviceHistory('ws-s').registered().events);
    await publish(kafka, topic.topic, sLater.map(envelopeMessage));
    await waitUntilProjected(kafka, database.db, groupId, topic.topic);
    expect(await new DeviceQueries(database.db).findDevice('ws-s')).toBeNull();
    expect((await deadLetters(database.db, groupId)).filter((d) => d.stream_id === 'device-ws-s').map((d) => d.version)).toEqual([0, 1]);
    // An operator gives up on the unreadable message and lets the rest through.
    const service = new DeadLetterService(database.db, allProjections(), groupId, topic.topic);
    await service.skip({ streamId: 'device-ws-s' });
    await service.retry({ streamId: 'device-ws-s' });
    expect(await new DeviceQueries(database.db).findDevice('ws-s')).toMatchObject({ version: 1 });

    // The same bytes delivered again are recognised, not parked a second time.
    await publish(kafka, topic.topic, [unreadable[0]]);
    await waitUntilProjected(kafka, database.db, groupId, topic.topic);
    expect((await deadLetters(database.db, groupId)).filter((d) => d.stream_id === 'unreadable')).toHaveLength(2);
  });
});
