import { Kafka, logLevel as KafkaLogLevel } from 'kafkajs';

/**
 * kafkajs itself, with the project's settings. Applications get a MessagingClient instead
 * (createMessagingClient); these two are exported for the tests, which drive the broker directly.
 */
export function createKafka(brokers: string[], clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: KafkaLogLevel.ERROR,
    retry: { initialRetryTime: 200, retries: 5 },
  });
}

/** The project creates its topics itself (the broker refuses auto-creation) and waits for their leaders. */
export async function ensureTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
    }
  } finally {
    await admin.disconnect();
  }
}
