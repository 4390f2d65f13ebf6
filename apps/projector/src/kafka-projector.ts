import { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { parseEnvelope } from '@patchstate/messaging';
import { IncomingMessage, ProjectionEngine } from '@patchstate/read-models';
import { ThroughputWindow } from './metrics/throughput-window';

export interface KafkaProjectorOptions {
  topic: string;
  groupId: string;
  log?: (message: string) => void;
}

export interface ProjectorMetrics {
  eventsApplied: number;
  eventsSkippedAsDuplicate: number;
  eventsParked: number;
  batches: number;
  /** Per partition: the newest offset on the broker minus the next offset to project. */
  lag: Map<number, number>;
  throughput: ThroughputWindow;
}

/**
 * Consumes the event topic in batches and hands each batch to the projection engine, which commits the
 * read-model change and the partition's next offset in one transaction. On (re)assignment it seeks every
 * partition to the offset stored in Postgres: Postgres, not Kafka's committed offsets, is the truth.
 */
export class KafkaProjector {
  private consumer: Consumer | null = null;
  readonly metrics: ProjectorMetrics = { eventsApplied: 0, eventsSkippedAsDuplicate: 0, eventsParked: 0, batches: 0, lag: new Map(), throughput: new ThroughputWindow() };

  constructor(
    private readonly kafka: Kafka,
    private readonly db: DataSource,
    private readonly engine: ProjectionEngine,
    private readonly options: KafkaProjectorOptions,
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 1000,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const partitions = event.payload.memberAssignment[this.options.topic] ?? [];
      void this.seekToStoredOffsets(consumer, partitions);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = null;
  }

  private async seekToStoredOffsets(consumer: Consumer, partitions: number[]): Promise<void> {
    if (partitions.length === 0) return;
    const rows: { partition: number; next_offset: string }[] = await this.db.query(
      `SELECT partition, next_offset FROM projection_checkpoints
       WHERE consumer_group = $1 AND topic = $2 AND partition = ANY($3::int[])`,
      [this.options.groupId, this.options.topic, partitions],
    );
    for (const row of rows) {
      consumer.seek({ topic: this.options.topic, partition: row.partition, offset: String(row.next_offset) });
    }
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    console.log('BATCH', batch.partition, batch.messages[0].offset, batch.messages.length);
    const messages: IncomingMessage[] = batch.messages.map((message) => {
      const raw = message.value?.toString('utf8') ?? '';
      try {
        return { offset: message.offset, envelope: parseEnvelope(message.value), raw };
      } catch (error) {
        return { offset: message.offset, envelope: null, raw, error: (error as Error).message };
      }
    });
    const last = batch.messages[batch.messages.length - 1].offset;
    const nextOffset = String(BigInt(last) + 1n);
    const outcome = await this.engine.applyBatch(
      { group: this.options.groupId, topic: batch.topic, partition: batch.partition },
      messages,
      nextOffset,
    );
    this.metrics.eventsApplied += outcome.applied;
    this.metrics.eventsSkippedAsDuplicate += outcome.skippedAsDuplicate;
    this.metrics.eventsParked += outcome.parked;
    this.metrics.batches += 1;
    this.metrics.throughput.record(messages.length);
    this.metrics.lag.set(batch.partition, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(nextOffset))));
    resolveOffset(last);
    // Kafka's committed offset is only a hint for tools; the Postgres checkpoint decides where we resume.
    await commitOffsetsIfNecessary().catch(() => undefined);
    await heartbeat();
  }
}
