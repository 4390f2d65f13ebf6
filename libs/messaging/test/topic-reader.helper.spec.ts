// A test helper, not a test: the `.spec.ts` suffix keeps it out of the production build, and lacking `.int.` or
// `.e2e.` it is in no Jest tier.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { EventEnvelope, parseEnvelope } from '@patchstate/messaging';

export interface TopicMessage {
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  envelope: EventEnvelope;
}

/**
 * Reads a topic back from the beginning with a fresh consumer group, up to the end offsets it has when the
 * call starts: what a brand-new subscriber would see. For tests that check what really reached the broker.
 */
export async function readWholeTopic(brokers: string[], topic: string, timeoutMs = 20_000): Promise<TopicMessage[]> {
  const suffix = `${process.env.TEST_RUN_ID ?? 'local'}.${randomBytes(3).toString('hex')}`;
  const kafka = new Kafka({ clientId: `topic-reader-${suffix}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  let ends: { partition: number; high: string; low: string }[];
  try {
    ends = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const endOf = new Map(ends.map((e) => [e.partition, BigInt(e.high)]));
  const pending = new Set(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => e.partition));
  const messages: TopicMessage[] = [];
  if (pending.size === 0) return messages;

  const consumer = kafka.consumer({ groupId: `topic-reader.${suffix}`, sessionTimeout: 10_000, heartbeatInterval: 500 });
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`read ${messages.length} messages of ${topic}; partitions ${[...pending].join(', ')} did not reach their end within ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            messages.push({
              partition,
              offset: message.offset,
              key: message.key?.toString('utf8') ?? null,
              headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)])),
              envelope: parseEnvelope(message.value),
            });
            if (BigInt(message.offset) + 1n >= (endOf.get(partition) ?? 0n)) pending.delete(partition);
            if (pending.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
  return messages;
}
