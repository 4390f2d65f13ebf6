import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { OUTBOX_CHANNEL, Outbox, readStoreId } from '@patchstate/event-store';
import { toEnvelope } from './event-envelope';
import { MessagingClient, MessagingProducer } from './ports';

export interface OutboxRelayOptions {
  databaseUrl: string;
  topic: string;
  batchSize: number;
  /** The safety net: a slow poll in case a notification was missed. */
  safetyPollMs: number;
  log?: (message: string) => void;
}

const RELAY_LEADER_LOCK = 7411002;

/**
 * Publishes the outbox to Kafka. It wakes on LISTEN/NOTIFY, publishes in batches in position order (so
 * each stream keeps its order: its key maps it to one partition), and marks rows published only after
 * Kafka acknowledged them. If Kafka is down, rows wait and the relay retries with a backoff; nothing is
 * lost. One relay at a time is leader (a session advisory lock), so two processes never reorder a stream.
 */
export class OutboxRelay {
  private listener: Client | null = null;
  private producer: MessagingProducer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  private failures = 0;
  private isLeader = false;
  private storeId: string | undefined;
  private readonly outbox: Outbox;

  constructor(
    private readonly db: DataSource,
    private readonly kafka: MessagingClient,
    private readonly options: OutboxRelayOptions,
  ) {
    this.outbox = new Outbox(db);
  }

  async start(): Promise<void> {
    this.running = true;
    await this.connectListener();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.draining?.catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = null;
    await this.listener?.end().catch(() => undefined);
    this.listener = null;
    this.isLeader = false;
  }

  /** Publishes everything pending now; resolves when the outbox is empty or publishing failed. */
  drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    this.draining = this.drainLoop().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async connectListener(): Promise<void> {
    const client = new Client({ connectionString: this.options.databaseUrl });
    client.on('notification', () => {
      void this.drain();
    });
    client.on('error', (error) => {
      this.log(`outbox listener lost its connection: ${error.message}`);
      this.listener = null;
      this.isLeader = false;
    });
    await client.connect();
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    this.listener = client;
  }

  private async becomeLeader(): Promise<boolean> {
    if (!this.listener) await this.connectListener();
    if (this.isLeader) return true;
    const [row] = (await this.listener!.query('SELECT pg_try_advisory_lock($1) AS ok', [RELAY_LEADER_LOCK])).rows;
    this.isLeader = row.ok === true;
    return this.isLeader;
  }

  private async drainLoop(): Promise<void> {
    try {
      do {
        this.drainAgain = false;
        if (!this.running) return;
        if (!(await this.becomeLeader())) {
          // A follower keeps polling: should the leader die without another notification, rows must not wait forever.
          this.schedule(this.options.safetyPollMs);
          return;
        }
        while (this.running) {
          const published = await this.publishBatch();
          if (published < this.options.batchSize) break;
        }
      } while (this.drainAgain && this.running);
      this.failures = 0;
      this.schedule(this.options.safetyPollMs);
    } catch (error) {
      this.failures += 1;
      const backoff = Math.min(200 * 2 ** Math.min(this.failures, 6), 10_000);
      this.log(`outbox relay could not publish (attempt ${this.failures}), retrying in ${backoff} ms: ${(error as Error).message}`);
      await this.producer?.disconnect().catch(() => undefined);
      this.producer = null;
      this.schedule(backoff);
    }
  }

  private async publishBatch(): Promise<number> {
    const events = await this.outbox.claim(this.options.batchSize);
    if (events.length === 0) return 0;
    const producer = await this.connectedProducer();
    this.storeId ??= await readStoreId(this.db);
    const storeId = this.storeId;
    await producer.send(
      this.options.topic,
      events.map((event) => {
        const envelope = toEnvelope(event, event.streamType, storeId);
        return {
          key: envelope.streamId,
          value: JSON.stringify(envelope),
          headers: { 'event-type': envelope.type, 'event-id': envelope.eventId, 'schema-version': String(envelope.schemaVersion) },
        };
      }),
    );
    await this.outbox.markPublished(events.map((event) => event.position));
    return events.length;
  }

  private async connectedProducer(): Promise<MessagingProducer> {
    if (!this.producer) {
      // Idempotent, one request in flight, acknowledged by all replicas: a stream's events keep their order.
      const producer = this.kafka.producer();
      await producer.connect();
      this.producer = producer;
    }
    return this.producer;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.drain();
    }, delayMs);
    this.timer.unref();
  }

  private log(message: string): void {
    (this.options.log ?? console.warn)(message);
  }
}
