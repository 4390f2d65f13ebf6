import { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { createKafka, ensureTopic } from './kafka-client';
import {
  BatchPayload,
  ConsumerOptions,
  GroupDescription,
  MessagingAdmin,
  MessagingClient,
  MessagingConsumer,
  MessagingProducer,
  OutgoingMessage,
  PartitionOffset,
  PartitionWatermarks,
} from './ports';

/** The ports of ports.ts on kafkajs: the one place that knows its API. */
export class KafkajsMessagingClient implements MessagingClient {
  constructor(private readonly kafka: Kafka) {}

  consumer(options: ConsumerOptions): MessagingConsumer {
    return new KafkajsConsumer(
      this.kafka.consumer({
        groupId: options.groupId,
        sessionTimeout: options.sessionTimeoutMs,
        heartbeatInterval: options.heartbeatIntervalMs,
        allowAutoTopicCreation: false,
        // Left out when absent so that kafkajs applies its own default (5 s).
        ...(options.maxWaitTimeMs !== undefined ? { maxWaitTimeInMs: options.maxWaitTimeMs } : {}),
      }),
    );
  }

  producer(): MessagingProducer {
    return new KafkajsProducer(this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }));
  }

  admin(): MessagingAdmin {
    return new KafkajsAdmin(this.kafka.admin());
  }

  ensureTopic(topic: string, partitions: number): Promise<void> {
    return ensureTopic(this.kafka, topic, partitions);
  }
}

/** For code that holds a kafkajs client already (the tests drive the broker with one). */
export function messagingClientOf(kafka: Kafka): MessagingClient {
  return new KafkajsMessagingClient(kafka);
}

class KafkajsConsumer implements MessagingConsumer {
  constructor(private readonly consumer: Consumer) {}

  onGroupJoin(listener: (assignment: Readonly<Record<string, number[]>>) => void): void {
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => listener(event.payload.memberAssignment));
  }

  onCrash(listener: (error: Error) => void): void {
    this.consumer.on(this.consumer.events.CRASH, (event) => listener(event.payload.error));
  }

  async run(topic: string, eachBatch: (payload: BatchPayload) => Promise<void>): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: true });
    // kafkajs's payload has the shape of BatchPayload (its messages are ConsumedMessages): handed on as it is.
    await this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
  }

  seek(topic: string, partition: number, offset: string): void {
    this.consumer.seek({ topic, partition, offset });
  }

  pause(topic: string, partitions: number[]): void {
    this.consumer.pause([{ topic, partitions }]);
  }

  commitOffset(topic: string, partition: number, offset: string): Promise<void> {
    return this.consumer.commitOffsets([{ topic, partition, offset }]);
  }

  disconnect(): Promise<void> {
    return this.consumer.disconnect();
  }
}

/** kafkajs's producer and admin connect and disconnect alike. */
abstract class KafkajsConnection<T extends Producer | Admin> {
  constructor(protected readonly client: T) {}

  connect(): Promise<void> {
    return this.client.connect();
  }

  disconnect(): Promise<void> {
    return this.client.disconnect();
  }
}

class KafkajsProducer extends KafkajsConnection<Producer> implements MessagingProducer {
  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    await this.client.send({ topic, acks: -1, messages });
  }
}

class KafkajsAdmin extends KafkajsConnection<Admin> implements MessagingAdmin {

  async watermarks(topic: string): Promise<PartitionWatermarks[]> {
    return (await this.client.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, low: p.low, high: p.high }));
  }

  async offsetsAtTime(topic: string, timeMs: number): Promise<PartitionOffset[]> {
    return (await this.client.fetchTopicOffsetsByTimestamp(topic, timeMs)).map((p) => ({ partition: p.partition, offset: p.offset }));
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const [description] = (await this.client.describeGroups([groupId])).groups;
    return {
      state: description?.state ?? 'Dead',
      members: (description?.members ?? []).map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost })),
    };
  }

  async committedOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: string | null }[]> {
    const committed = await this.client.fetchOffsets({ groupId, topics: [topic] });
    // Kafka answers -1 for a partition the group never committed.
    return (committed.find((t) => t.topic === topic)?.partitions ?? []).map((p) => ({
      partition: p.partition,
      offset: Number(p.offset) < 0 ? null : p.offset,
    }));
  }

  setOffsets(groupId: string, topic: string, partitions: PartitionOffset[]): Promise<void> {
    return this.client.setOffsets({ groupId, topic, partitions });
  }

  async deleteGroup(groupId: string): Promise<void> {
    try {
      await this.client.deleteGroups([groupId]);
    } catch (error) {
      // A group that never committed offsets may already be gone by the time it is deleted.
      if (!/does not exist|GROUP_ID_NOT_FOUND|not found/i.test((error as Error).message)) throw error;
    }
  }
}

/** The client the applications get: kafkajs with the project's settings (kafka-client.ts). */
export function createMessagingClient(brokers: string[], clientId: string): MessagingClient {
  return new KafkajsMessagingClient(createKafka(brokers, clientId));
}
