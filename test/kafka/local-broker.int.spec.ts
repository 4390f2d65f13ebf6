// Smoke test of the Kafka broker the int tests run against (KAFKA_BROKERS, set by test/support/global-setup.ts):
// create a topic, produce a message, consume it back.
import { Admin, Consumer, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';

describe('local Kafka broker', () => {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
  const runId = process.env.TEST_RUN_ID ?? `${Date.now()}`;
  const suffix = `${runId}-${Math.random().toString(36).slice(2, 8)}`;
  const topic = `test.local-broker.${suffix}`;
  const groupId = `test-local-broker-${suffix}`;

  const kafka = new Kafka({ clientId: `local-broker-spec-${suffix}`, brokers, logLevel: logLevel.NOTHING });
  let admin: Admin;
  let producer: Producer;
  let consumer: Consumer;

  beforeAll(async () => {
    expect(brokers.length).toBeGreaterThan(0);
    admin = kafka.admin();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
  });

  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
  });

  it('creates a topic, produces a message and consumes it back', async () => {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
    });
    expect(created).toBe(true);
    expect(await admin.listTopics()).toContain(topic);

    const value = `hello ${suffix}`;
    await producer.send({ topic, acks: -1, messages: [{ key: 'k1', value, headers: { run: runId } }] });

    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received = new Promise<{ key: string; value: string; headers: Record<string, string> }>((resolve, reject) => {
      consumer.run({
        eachMessage: async ({ message }) => {
          resolve({
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
            headers: Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
            ),
          });
        },
      }).catch(reject);
    });

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no message consumed from ${topic} within 12 s`)), 12_000);
    });
    try {
      await expect(Promise.race([received, timeout])).resolves.toEqual({
        key: 'k1',
        value,
        headers: { run: runId },
      });
    } finally {
      clearTimeout(timer);
    }
  });
});
