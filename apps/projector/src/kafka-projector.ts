import { DataSource } from 'typeorm';
import { BatchPayload, MessagingClient, MessagingConsumer, parseEnvelope } from '@patchstate/messaging';
import { IncomingMessage, ProjectionEngine } from '@patchstate/read-models';
import { ThroughputWindow } from './metrics/throughput-window';

export interface KafkaProjectorOptions {
  topic: string;
  groupId: string;
  /**
   * How long one fetch waits on the broker for new messages. Stopping and rebalancing wait for the fetch in
   * flight, so the client's 5 s default makes every shutdown and rebalance that slow; new events end the wait early.
   */
  maxWaitTimeMs?: number;
  /**
   * A fetched batch can hold thousands of events; it is applied in transactions of at most this many, with a
   * heartbeat after each, so a backlog neither outlasts the session timeout (the group would drop this member
   * and rebalance) nor holds one long transaction.
   */
  maxEventsPerTransaction?: number;
  log?: (message: string) => void;
}

export interface ProjectorMetrics {
  eventsApplied: number;
  eventsSkippedAsDuplicate: number;
  eventsParked: number;
  batches: number;
  /** Times this process joined its group: more than once means rebalances (a member left, came, or was dropped). */
  groupJoins: number;
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
  private consumer: MessagingConsumer | null = null;
  private readonly rewoundToStart = new Set<number>();
  readonly metrics: ProjectorMetrics = { eventsApplied: 0, eventsSkippedAsDuplicate: 0, eventsParked: 0, batches: 0, groupJoins: 0, lag: new Map(), throughput: new ThroughputWindow() };

  constructor(
    private readonly kafka: MessagingClient,
    private readonly db: DataSource,
    private readonly engine: ProjectionEngine,
    private readonly options: KafkaProjectorOptions,
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      maxWaitTimeMs: this.options.maxWaitTimeMs ?? 1_000,
    });
    this.consumer = consumer;
    consumer.onGroupJoin((assignment) => {
      this.metrics.groupJoins += 1;
      const partitions = assignment[this.options.topic] ?? [];
      // Only a head start: handleBatch checks every batch against the stored offset, so a seek that fails or
      // lands after the first fetch loses nothing.
      this.seekToStoredOffsets(consumer, partitions).catch((error: unknown) =>
        this.log(`could not seek to the stored offsets: ${(error as Error).message}`),
      );
    });
    await consumer.run(this.options.topic, (payload) => this.handleBatch(payload));
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = null;
  }

  private log(message: string): void {
    (this.options.log ?? console.warn)(message);
  }

  private async seekToStoredOffsets(consumer: MessagingConsumer, partitions: number[]): Promise<void> {
    if (partitions.length === 0) return;
    const rows: { partition: number; next_offset: string }[] = await this.db.query(
      `SELECT partition, next_offset FROM projection_checkpoints
       WHERE consumer_group = $1 AND topic = $2 AND partition = ANY($3::int[])`,
      [this.options.groupId, this.options.topic, partitions],
    );
    const stored = new Map(rows.map((row) => [row.partition, String(row.next_offset)]));
    for (const partition of partitions) {
      // No row: nothing of this partition is applied, so from the start, not from Kafka's committed offset.
      consumer.seek(this.options.topic, partition, stored.get(partition) ?? '0');
    }
  }

  private async storedOffset(partition: number): Promise<bigint | null> {
    const rows: { next_offset: string }[] = await this.db.query(
      'SELECT next_offset FROM projection_checkpoints WHERE consumer_group = $1 AND topic = $2 AND partition = $3',
      [this.options.groupId, this.options.topic, partition],
    );
    return rows.length === 0 ? null : BigInt(rows[0].next_offset);
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: BatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const last = batch.messages[batch.messages.length - 1].offset;
    // The seek on joining the group races the first fetch, which starts from Kafka's committed offset. A batch
    // starting past the stored offset would skip events (and apply a stream out of order): go back instead.
    // Messages before it are applied already.
    const stored = await this.storedOffset(batch.partition);
    const first = BigInt(batch.messages[0].offset);
    if (stored !== null && first > stored) {
      this.consumer?.seek(batch.topic, batch.partition, stored.toString());
      return;
    }
    // Nothing stored means nothing applied: start at the beginning of the partition, whatever Kafka committed.
    // Once only: when the log no longer begins at 0 (retention), the broker answers from its earliest offset.
    if (stored === null && first > 0n && !this.rewoundToStart.has(batch.partition)) {
      this.rewoundToStart.add(batch.partition);
      this.consumer?.seek(batch.topic, batch.partition, '0');
      return;
    }
    const fresh = stored === null ? batch.messages : batch.messages.filter((message) => BigInt(message.offset) >= stored);
    if (fresh.length === 0) {
      resolveOffset(last);
      await heartbeat();
      return;
    }
    const messages: IncomingMessage[] = fresh.map((message) => {
      const raw = message.value?.toString('utf8') ?? '';
      try {
        return { offset: message.offset, envelope: parseEnvelope(message.value), raw };
      } catch (error) {
        return { offset: message.offset, envelope: null, raw, key: message.key?.toString('utf8') ?? null, error: (error as Error).message };
      }
    });
    const perTransaction = this.options.maxEventsPerTransaction ?? 200;
    for (let start = 0; start < messages.length; start += perTransaction) {
      // Rebalanced away meanwhile: the new owner resumes from the offset committed so far.
      if (start > 0 && (!isRunning() || isStale())) return;
      const chunk = messages.slice(start, start + perTransaction);
      const chunkLast = chunk[chunk.length - 1].offset;
      const nextOffset = String(BigInt(chunkLast) + 1n);
      const outcome = await this.engine.applyBatch(
        { group: this.options.groupId, topic: batch.topic, partition: batch.partition },
        chunk,
        nextOffset,
      );
      this.metrics.eventsApplied += outcome.applied;
      this.metrics.eventsSkippedAsDuplicate += outcome.skippedAsDuplicate;
      this.metrics.eventsParked += outcome.parked;
      this.metrics.batches += 1;
      this.metrics.throughput.record(chunk.length);
      this.metrics.lag.set(batch.partition, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(nextOffset))));
      resolveOffset(chunkLast);
      await heartbeat();
    }
    // Kafka's committed offset is only a hint for tools (lag in kafka-consumer-groups, `replay offsets show`);
    // the Postgres checkpoint decides where we resume. With autoCommit off it must be committed explicitly.
    if (this.consumer) {
      await this.consumer.commitOffset(batch.topic, batch.partition, String(BigInt(last) + 1n)).catch(() => undefined);
    }
  }
}
