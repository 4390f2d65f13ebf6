import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@patchstate/event-store';
import { readWholeTopic } from '../../libs/messaging/test/topic-reader.helper.spec';
import { aDeviceProfile } from '../builders';
import { http } from '../support/http-client';
import { TestStack, eventually, startTestStack } from '../support/test-stack';

/*
 * Issue 2: stopping the broker and starting it again does not lose an event accepted meanwhile. The shared broker
 * serves everyone else's tests, so this file runs its own broker instance (its own folder and ports) and stops
 * that one.
 */
interface LocalBroker {
  ensureBroker(options: { instance: string; port: number; controllerPort: number; log?: (m: string) => void }): Promise<{ brokers: string }>;
  stopBroker(options: { instance: string; log?: (m: string) => void }): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const localBroker = require('../../scripts/kafka/local-broker.js') as LocalBroker;
const BROKER = { instance: 'restart-test', port: 19192, controllerPort: 19193 };
const log = (message: string) => process.env.TEST_LOGS && process.stderr.write(`[kafka restart-test ${new Date().toISOString()}] ${message}\n`);

async function deleteTopic(brokers: string, topic: string): Promise<void> {
  const admin = new Kafka({ clientId: 'broker-restart-cleanup', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
    }),
  ]);
}

describe('broker restart: events accepted while Kafka is down are published once it is back', () => {
  let stack: TestStack | undefined;
  let brokers: string;
  let db: DataSource;

  const register = (deviceId: string) =>
    http(stack!.baseUrl, 'POST', '/v1/devices', { deviceId, hostname: `${deviceId}.corp.example`, profile: aDeviceProfile() });

  const unpublished = async (): Promise<string[]> =>
    (await db.query('SELECT position FROM outbox WHERE published_at IS NULL ORDER BY position')).map((r: { position: string }) => String(r.position));

  beforeAll(async () => {
    ({ brokers } = await localBroker.ensureBroker({ ...BROKER, log }));
    stack = await startTestStack({ env: { KAFKA_BROKERS: brokers } });
    db = stack.api.get(DATA_SOURCE);
  }, 90_000);

  afterAll(async () => {
    try {
      // A stack whose broker is gone could hang on disconnect: never let that keep the broker running.
      if (stack) await withTimeout(stack.close(), 30_000, 'closing the stack').catch((error) => log(String(error)));
      // This broker keeps its data between runs: drop the run's topic so restarts stay quick.
      if (stack) await withTimeout(deleteTopic(brokers, stack.config.kafka.topic), 10_000, 'deleting the topic').catch((error) => log(String(error)));
    } finally {
      await localBroker.stopBroker({ instance: BROKER.instance, log });
    }
  }, 60_000);

  it('accepts commands with the broker stopped, holds them in the outbox, and publishes every event after the restart', async () => {
    const before = ['rs-001', 'rs-002', 'rs-003'];
    for (const deviceId of before) expect((await register(deviceId)).status).toBe(201);
    await eventually(async () => ((await unpublished()).length === 0 ? true : undefined));

    await localBroker.stopBroker({ instance: BROKER.instance, log });

    const during = ['rs-101', 'rs-102', 'rs-103', 'rs-104', 'rs-105'];
    const acceptedPositions: string[] = [];
    for (const deviceId of during) {
      const accepted = await register(deviceId);
      expect({ deviceId, status: accepted.status }).toEqual({ deviceId, status: 201 });
      acceptedPositions.push(accepted.headers.get('x-position') ?? String(accepted.body.position));
    }
    // A drain resolves once the relay has tried and failed (it catches the error and backs off): the outbox
    // still holds every one of them.
    await stack!.relay().relay.drain();
    expect(await unpublished()).toEqual(acceptedPositions);

    await localBroker.ensureBroker({ ...BROKER, log });
    log('broker back');

    await eventually(async () => ((await unpublished()).length === 0 ? true : undefined), 30_000, 250);
    log('outbox drained');

    // Every event in the store is on the topic exactly once, keyed by its stream.
    const stored: { event_id: string; stream_id: string }[] = await db.query('SELECT event_id, stream_id FROM events ORDER BY position');
    expect(stored).toHaveLength(before.length + during.length);
    const onTopic = await readWholeTopic([brokers], stack!.config.kafka.topic);
    expect(onTopic.map((m) => m.envelope.eventId).sort()).toEqual(stored.map((e) => e.event_id).sort());
    for (const message of onTopic) expect(message.key).toBe(message.envelope.streamId);

    log('topic checked');
    // And the projector, which lost its broker too, catches up on all of them.
    for (const deviceId of [...before, ...during]) {
      await eventually(async () => ((await http(stack!.baseUrl, 'GET', `/v1/devices/${deviceId}`)).status === 200 ? true : undefined), 30_000, 250);
    }
  }, 90_000);
});
