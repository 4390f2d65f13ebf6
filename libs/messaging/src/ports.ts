/**
 * What the rest of the project may ask of the Kafka client. The types are the project's own, not the client
 * library's, so that replacing kafkajs changes the adapter (kafkajs-messaging-client.ts) and nothing else.
 */

/** A message as fetched: Kafka's 64-bit offset as a decimal string (a number would lose precision). */
export interface ConsumedMessage {
  offset: string;
  key?: Buffer | null;
  value: Buffer | null;
}

/** One fetched batch: messages of one partition, in offset order. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  /** The partition's high watermark at fetch time: the offset the next produced message will get. */
  highWatermark: string;
  messages: readonly ConsumedMessage[];
}

/** A batch and what its handler may do meanwhile; offsets are never resolved or committed on its behalf. */
export interface BatchPayload {
  batch: ConsumedBatch;
  /** Marks an offset processed: after a rebalance the next fetch of this member continues after it. */
  resolveOffset(offset: string): void;
  /** Keeps this member in its group during a long batch (the session timeout would drop it). */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True once a seek or rebalance made the rest of this batch obsolete. */
  isStale(): boolean;
}

export interface ConsumerOptions {
  groupId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** How long a fetch waits on the broker for new messages; the client's default when absent. */
  maxWaitTimeMs?: number;
}

/** A consumer group member reading one topic batch by batch. Topics are never created by reading them. */
export interface MessagingConsumer {
  /** Called each time this member joins its group, with the partitions assigned to it, by topic. */
  onGroupJoin(listener: (assignment: Readonly<Record<string, number[]>>) => void): void;
  /** Called when the consumer gave up (the client's retries are exhausted). */
  onCrash(listener: (error: Error) => void): void;
  /**
   * Connects, subscribes to the topic (from its beginning where the group committed nothing) and hands every
   * fetched batch to `eachBatch`; resolves once consuming has started.
   */
  run(topic: string, eachBatch: (payload: BatchPayload) => Promise<void>): Promise<void>;
  /** The next fetch of this partition starts at `offset`. */
  seek(topic: string, partition: number, offset: string): void;
  pause(topic: string, partitions: number[]): void;
  /** Commits the group's offset in Kafka: the next offset to read, not the last one read. */
  commitOffset(topic: string, partition: number, offset: string): Promise<void>;
  disconnect(): Promise<void>;
}

export interface OutgoingMessage {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

/**
 * An idempotent producer with one request in flight, each send acknowledged by every in-sync replica: a send
 * that resolved is durable, and messages of one key stay in order even across retries.
 */
export interface MessagingProducer {
  connect(): Promise<void>;
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface PartitionOffset {
  partition: number;
  offset: string;
}

export interface PartitionWatermarks {
  partition: number;
  /** The earliest offset still in the log. */
  low: string;
  /** The offset the next message will get. */
  high: string;
}

export interface GroupDescription {
  /** Kafka's group state: Stable, Empty, Dead, PreparingRebalance, … */
  state: string;
  members: { memberId: string; clientId: string; host: string }[];
}

/** Topic and group administration; connect first, disconnect after. */
export interface MessagingAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  watermarks(topic: string): Promise<PartitionWatermarks[]>;
  /** Per partition, the first offset whose timestamp is at or after `timeMs` (the high watermark when none is). */
  offsetsAtTime(topic: string, timeMs: number): Promise<PartitionOffset[]>;
  /** A group unknown to the broker is described as Dead with no members. */
  describeGroup(groupId: string): Promise<GroupDescription>;
  /** The group's committed offsets in Kafka; null for a partition with none. */
  committedOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: string | null }[]>;
  setOffsets(groupId: string, topic: string, partitions: PartitionOffset[]): Promise<void>;
  /** Deletes a consumer group; one that is already gone counts as deleted. */
  deleteGroup(groupId: string): Promise<void>;
}

/** The connection to Kafka that applications are given (Nest token KAFKA). */
export interface MessagingClient {
  consumer(options: ConsumerOptions): MessagingConsumer;
  producer(): MessagingProducer;
  admin(): MessagingAdmin;
  /** Creates the topic when missing (the broker refuses auto-creation) and waits for its partition leaders. */
  ensureTopic(topic: string, partitions: number): Promise<void>;
}
