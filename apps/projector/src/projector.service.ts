import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@patchstate/config';
import { DATA_SOURCE } from '@patchstate/event-store';
import { KAFKA, MessagingClient } from '@patchstate/messaging';
import { ProjectionEngine, allProjections } from '@patchstate/read-models';
import { KafkaProjector } from './kafka-projector';

@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly projector: KafkaProjector;

  constructor(@Inject(DATA_SOURCE) db: DataSource, @Inject(KAFKA) kafka: MessagingClient, @Inject(APP_CONFIG) config: AppConfig) {
    this.projector = new KafkaProjector(kafka, db, new ProjectionEngine(db, allProjections()), {
      topic: config.kafka.topic,
      groupId: config.kafka.projectorGroupId,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.projector.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.projector.stop();
  }
}
