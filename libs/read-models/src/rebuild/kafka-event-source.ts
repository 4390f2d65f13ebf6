import { randomBytes } from 'node:crypto';
import { BatchPayload, EventEnvelope, MessagingClient, parseEnvelope } from '@patchstate/messaging';
import { EventSource, ReplayAborted, ReplayWindow, SourceBatch, SourceOpening, inWindow } from './event-source';

interface PartitionRange {
  partition: number;
  /** First offset to read. */
  start: bigint;
  /** The high watermark seen at open: reading stops before it. */
  end: bigint;
}

export interface KafkaEventSourceOptions {
  /** The replay's own consumer group is `<prefix>-<unique suffix>`, never the live projector's group. */
  groupIdPrefix?: string;
  log?: (message: string) => void;
}

/**
 * Reads the event topic with a consumer group of its own (so the live projector's group and its offsets are
 * never touched), from the beginning (or from the offsets at `fromTime`) up to the high watermarks captured
 * at open. The temporary group is deleted afterwards.
 *
 * With `fromTime`, Kafka is first positioned by its message timestamps (the time the outbox relay published,
 * which is never before the event was recorded), then each event is kept only when it was recorded at or
 * after `fromTime`: the same window as the store's.
 */
export class KafkaEventSource implements EventSource {
  readonly name = 'kafka';
  private ranges: PartitionRange[] = [];

  constructor(
    private readonly kafka: MessagingClient,
    private readonly topic: string,
    private readonly window: ReplayWindow = {},
    private readonly options: KafkaEventSourceOptions = {},
  ) {}

  async open(): Promise<SourceOpening> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const watermarks = await admin.watermarks(this.topic);
      const byTime = this.window.fromTime
        ? new Map((await admin.offsetsAtTime(this.topic, this.window.fromTime.getTime())).map((p) => [p.partition, BigInt(p.offset)]))
        : null;
      this.ranges = watermarks
        .map((p) => {
          const low = BigInt(p.low);
          const atTime = byTime?.get(p.partition);
          return { partition: p.partition, start: atTime !== undefined && atTime > low ? atTime : low, end: BigInt(p.high) };
        })
        .sort((a, b) => a.partition - b.partition);
    } finally {
      await admin.disconnect();
    }
    const total = this.ranges.reduce((sum, r) => sum + Number(r.end > r.start ? r.end - r.start : 0n), 0);
    return { total, end: Object.fromEntries(this.ranges.map((r) => [`partition-${r.partition}`, String(r.end)])) };
  }

  async read(handle: (batch: SourceBatch) => Promise<void>, signal?: AbortSignal): Promise<{ unreadable: number }> {
    const next = new Map(this.ranges.map((r) => [r.partition, r.start]));
    const ends = new Map(this.ranges.map((r) => [r.partition, r.end]));
    const pending = new Set(this.ranges.filter((r) => r.start < r.end).map((r) => r.partition));
    let unreadable = 0;
    if (pending.size === 0) return { unreadable };

    const groupId = `${this.options.groupIdPrefix ?? 'patchstate-replay'}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const consumer = this.kafka.consumer({ groupId, sessionTimeoutMs: 30_000, heartbeatIntervalMs: 3_000 });
    let settle!: { resolve: () => void; reject: (error: unknown) => void };
    const finished = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Settled possibly while the consumer is still connecting: observed here, rethrown where awaited.
    finished.catch(() => undefined);
    let over = false;
    const fail = (error: unknown) => {
      if (over) return;
      over = true;
      settle.reject(error);
    };
    const onAbort = () => fail(new ReplayAborted());
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted) onAbort();

    consumer.onGroupJoin((assignment) => {
      for (const partition of assignment[this.topic] ?? []) {
        const offset = next.get(partition);
        if (offset !== undefined && pending.has(partition)) consumer.seek(this.topic, partition, String(offset));
      }
    });
    consumer.onCrash(fail);

    const eachBatch = async ({ batch, resolveOffset, heartbeat }: BatchPayload): Promise<void> => {
      if (over) return;
      try {
        const partition = batch.partition;
        const from = next.get(partition) ?? 0n;
        const end = ends.get(partition) ?? 0n;
        const envelopes: EventEnvelope[] = [];
        let passedOver = 0;
        let last: bigint | null = null;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          // Before the start (a fetch that raced the seek) or at/after the end captured at open.
          if (offset < from) continue;
          if (offset >= end) break;
          last = offset;
          let envelope: EventEnvelope;
          try {
            envelope = parseEnvelope(message.value);
          } catch {
            // Not an event of ours; the live projector parked it. The store is the truth: nothing is lost.
            unreadable += 1;
            passedOver += 1;
            continue;
          }
          if (inWindow(envelope, this.window)) envelopes.push(envelope);
          else passedOver += 1;
        }
        if (last !== null) {
          if (signal?.aborted) throw new ReplayAborted();
          await handle({ envelopes, passedOver });
          next.set(partition, last + 1n);
          resolveOffset(String(last));
        }
        if ((next.get(partition) ?? 0n) >= end && pending.delete(partition)) {
          consumer.pause(this.topic, [partition]);
          if (pending.size === 0 && !over) {
            over = true;
            settle.resolve();
          }
        }
        await heartbeat();
      } catch (error) {
        fail(error);
      }
    };

    try {
      await consumer.run(this.topic, eachBatch);
      await finished;
      return { unreadable };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await consumer.disconnect().catch(() => undefined);
      await this.deleteGroup(groupId);
    }
  }

  private async deleteGroup(groupId: string): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      // A group already gone counts as deleted (the adapter knows how the broker says so): anything else is worth a word.
      await admin.deleteGroup(groupId);
    } catch (error) {
      this.options.log?.(`could not delete the replay's consumer group ${groupId}: ${(error as Error).message}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
