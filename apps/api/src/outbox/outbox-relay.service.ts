import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { DATA_SOURCE } from '@patchstate/event-store';
import { KAFKA, MessagingClient, OutboxRelay } from '@patchstate/messaging';

/** Runs the outbox relay for as long as the API process lives. */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  readonly relay: OutboxRelay;

  constructor(@Inject(DATA_SOURCE) db: DataSource, @Inject(KAFKA) kafka: MessagingClient, @Inject(APP_CONFIG) config: AppConfig) {
    this.relay = new OutboxRelay(db, kafka, {
      databaseUrl: config.databaseUrl,
      topic: config.kafka.topic,
      batchSize: config.outbox.batchSize,
      safetyPollMs: config.outbox.safetyPollMs,
      log: (message) => this.logger.warn(message),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}
